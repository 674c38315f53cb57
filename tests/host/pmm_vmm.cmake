# SPDX-License-Identifier: MIT
# host tests for the pmm_vmm cores (see tests/host/CMakeLists.txt for mbheap_host_test)
# sim_phys.c: the simulated physical memory and phys_to_virt() both run over.
mbheap_host_test(pmm SOURCES tests/host/test_pmm.c tests/host/sim_phys.c mm/pmm.c)
mbheap_host_test(vmm SOURCES tests/host/test_vmm.c tests/host/sim_phys.c mm/vmm.c mm/pmm.c)
