# pmm/vmm host benchmark
