#pragma once
// A student made from its teacher by keeping some of its layers (DistilBERT-style layer
// selection): the embeddings, final norm and LM head are the teacher's, layer i of the student
// is teacher layer ids[i].
#include <string>
#include <vector>

#include "model/decoder.h"

namespace amkd {

// Which teacher layers a student of `keep` layers takes: "spread" picks them evenly from first to
// last (both included), "first" the first `keep`. Throws InputError for a bad count or pick.
std::vector<int64_t> pick_layers(int64_t teacher_layers, int64_t keep, const std::string& pick);

// A new model (the teacher's dtype and device) whose layers are copies of the given ones.
CausalLM student_from_layers(CausalLMImpl& teacher, const std::vector<int64_t>& layer_ids);

}  // namespace amkd
