# host tests for lib/: kprintf formatting, command line parsing, string functions
#TODO mbheap_host_test(kprintf SOURCES tests/host/test_kprintf.c)
mbheap_host_test(cmdline SOURCES tests/host/test_cmdline.c lib/cmdline.c)
#TODO mbheap_host_test(string SOURCES tests/host/test_string.c lib/string.c
#TODO                 COMPILE_OPTIONS -include ${CMAKE_SOURCE_DIR}/tests/host/string_rename.h)
