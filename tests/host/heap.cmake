# host tests for the heap cores (see tests/host/CMakeLists.txt for mbheap_host_test)
