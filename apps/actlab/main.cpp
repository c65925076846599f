#include <iostream>
#include "actlab/activation.hpp"
int main() {
  for (const auto& a : actlab::catalogue()) std::cout << a.name << "\n";
}
