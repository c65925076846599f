// Text, JSON and Markdown renderings of catalogue rows, shared by list and show.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "actlab/activation.hpp"

namespace actlab::cli {

std::string cost_text(Cost cost);
std::string backward_text(BackwardFrom from);
std::string yes_no(bool value);
std::string number_text(double value);
// "negative_slope=0.01", "lower=0.125, upper=0.3333333333", or "—".
std::string params_text(const ActivationInfo& info);
// "[0, ∞)" with open ends marked.
std::string interval_text(const ParamSpec& p);

nlohmann::json to_json(const ActivationInfo& info);
// docs/activations.md, generated from the table (a test checks the file is current).
std::string catalogue_markdown();

}  // namespace actlab::cli
