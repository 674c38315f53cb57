# multiboot2 parser fuzz target (see CMakeLists.txt for mbheap_fuzz_target)
mbheap_fuzz_target(multiboot2 SOURCES tests/fuzz/fuzz_multiboot2.c mm/multiboot2.c mm/memmap.c)
