# heap benchmarks
