#pragma once
// Catch2 for tests that also use LibTorch: c10's logging header defines its own CHECK macro
// (which aborts instead of recording an assertion), so torch comes first and Catch's CHECK wins.
#include <torch/torch.h>
#undef CHECK
#include <catch2/catch.hpp>
