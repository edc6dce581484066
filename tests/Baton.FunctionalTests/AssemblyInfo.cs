// Functional tests start real Baton processes and measure timings on a 2-core machine: they run one
// at a time so that one test's processes never steal the CPU another test's deadline depends on.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
