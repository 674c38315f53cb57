# host tests for the pmm_vmm cores (see tests/host/CMakeLists.txt for mbheap_host_test)
mbheap_host_test(pmm SOURCES tests/host/test_pmm.c mm/pmm.c)
mbheap_host_test(vmm SOURCES tests/host/test_vmm.c mm/vmm.c mm/pmm.c)
