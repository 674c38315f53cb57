# multiboot2 parser fuzz target (see CMakeLists.txt for mbheap_fuzz_target)
