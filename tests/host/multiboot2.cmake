# host tests for the multiboot2 cores (see tests/host/CMakeLists.txt for mbheap_host_test)
