#include <gtest/gtest.h>
#include "actlab/activation.hpp"
TEST(Catalogue, HasEveryRow) { EXPECT_EQ(actlab::catalogue().size(), actlab::kActivationCount); }
