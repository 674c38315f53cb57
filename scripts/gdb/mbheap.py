"""scripts/gdb/mbheap.py - GDB helpers for mbheap (loaded by scripts/gdb/mbheap.gdb).

Commands:
  mb-log      print the kernel log ring buffer (the last KLOG_SIZE bytes kprintf wrote)
"""
import gdb


class MbLog(gdb.Command):
    """Print the kernel log ring buffer (klog_buf / klog_head in lib/kprintf.c)."""

    def __init__(self):
        super().__init__("mb-log", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        buf = gdb.parse_and_eval("klog_buf")
        size = int(buf.type.sizeof)
        head = int(gdb.parse_and_eval("klog_head"))
        kept = min(head, size)
        start = head - kept
        inferior = gdb.selected_inferior()
        base = int(buf.address)
        data = bytes(inferior.read_memory(base, size))
        out = bytes(data[(start + i) % size] for i in range(kept))
        gdb.write(out.decode("utf-8", "replace"))
        if out and not out.endswith(b"\n"):
            gdb.write("\n")


MbLog()
