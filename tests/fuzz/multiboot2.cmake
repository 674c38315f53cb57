# SPDX-License-Identifier: MIT
# multiboot2 parser fuzz target (see CMakeLists.txt for mbheap_fuzz_target)
mbheap_fuzz_target(multiboot2 SOURCES tests/fuzz/fuzz_multiboot2.c ${MBHEAP_PART_MB2})
