# SPDX-License-Identifier: MIT
# host tests for the multiboot2 cores (see tests/host/CMakeLists.txt for mbheap_host_test)
# mb2_builder.c builds multiboot2 structures tag by tag; capture.c records kprintf output.
mbheap_host_test(multiboot2 SOURCES tests/host/test_multiboot2.c tests/host/mb2_builder.c
                 tests/host/capture.c mm/multiboot2.c lib/fmt_size.c)
mbheap_host_test(memmap SOURCES tests/host/test_memmap.c tests/host/mb2_builder.c
                 tests/host/capture.c ${MBHEAP_PART_MB2})
