# SPDX-License-Identifier: MIT
# host tests for lib/ and the allocator interface (see tests/host/CMakeLists.txt for
# mbheap_host_test): kprintf formatting, command line parsing, string functions, the
# allocator interface with kmalloc, and the collections (box, vec, string, rc).
mbheap_host_test(kprintf SOURCES tests/host/test_kprintf.c lib/fmt_size.c)
mbheap_host_test(cmdline SOURCES tests/host/test_cmdline.c lib/cmdline.c)
# string_rename.h turns our mem*/str* into kstr_* in every file of this test, so that
# test_string.c can compare them with libc's in one executable.
mbheap_host_test(string SOURCES tests/host/test_string.c lib/string.c
                 COMPILE_OPTIONS -include ${CMAKE_SOURCE_DIR}/tests/host/string_rename.h)
# test_allocator.c: the malloc-backed test allocator both install as the global one.
mbheap_host_test(alloc SOURCES tests/host/test_alloc.c tests/host/test_allocator.c lib/alloc.c)
mbheap_host_test(collections SOURCES tests/host/test_collections.c tests/host/test_allocator.c
                 lib/alloc.c lib/collections/kvec.c lib/collections/kstring.c lib/collections/krc.c)
# The spinlock with threads standing in for CPUs (tests/common/host_irq.c).
find_package(Threads REQUIRED)
mbheap_host_test(spinlock SOURCES tests/host/test_spinlock.c tests/common/host_irq.c)
target_link_libraries(host_spinlock PRIVATE Threads::Threads)
target_link_libraries(host_spinlock_asan PRIVATE Threads::Threads)
# The kernel's command line options (boot/options.c), with kprintf captured.
mbheap_host_test(options SOURCES tests/host/test_options.c tests/host/capture.c boot/options.c
                 lib/cmdline.c)
