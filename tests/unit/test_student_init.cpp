#include "catch_torch.h"

#include "common/errors.h"
#include "model/student_init.h"

using namespace amkd;
using V = std::vector<int64_t>;

TEST_CASE("init-student picks layers spread from first to last, or the first N", "[init_student]") {
  CHECK(pick_layers(30, 8, "spread") == V{0, 4, 8, 12, 17, 21, 25, 29});
  CHECK(pick_layers(30, 4, "spread") == V{0, 10, 19, 29});
  CHECK(pick_layers(5, 5, "spread") == V{0, 1, 2, 3, 4});
  CHECK(pick_layers(12, 1, "spread") == V{0});
  CHECK(pick_layers(12, 3, "first") == V{0, 1, 2});
  CHECK_THROWS_AS(pick_layers(12, 0, "spread"), InputError);
  CHECK_THROWS_AS(pick_layers(12, 13, "first"), InputError);
  CHECK_THROWS_WITH(pick_layers(12, 3, "last"), Catch::Contains("expected spread or first"));
}
