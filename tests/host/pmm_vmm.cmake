# host tests for the pmm_vmm cores (see tests/host/CMakeLists.txt for mbheap_host_test)
