# host tests for the multiboot2 cores (see tests/host/CMakeLists.txt for mbheap_host_test)
mbheap_host_test(multiboot2 SOURCES tests/host/test_multiboot2.c mm/multiboot2.c)
mbheap_host_test(memmap SOURCES tests/host/test_memmap.c mm/memmap.c mm/multiboot2.c)
