#include "model/provenance.h"

#include <nlohmann/json.hpp>

namespace lsms {

std::string Provenance::ToJson() const {
  nlohmann::json j = {{"name", name},       {"version", version},
                      {"training_command", training_command},
                      {"data", data},       {"created", created},
                      {"metrics_json", metrics_json}, {"legs", legs}};
  return j.dump(1);
}

absl::StatusOr<Provenance> Provenance::FromJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("provenance is not a JSON object");
  }
  Provenance p;
  p.name = j.value("name", p.name);
  p.version = j.value("version", "");
  p.training_command = j.value("training_command", "");
  p.data = j.value("data", "");
  p.created = j.value("created", "");
  p.metrics_json = j.value("metrics_json", "");
  if (j.contains("legs") && j["legs"].is_array()) {
    for (const auto& l : j["legs"]) {
      if (l.is_string()) p.legs.push_back(l.get<std::string>());
    }
  }
  return p;
}

}  // namespace lsms
