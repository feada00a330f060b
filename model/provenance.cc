#include "model/provenance.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace lsms {

std::string Provenance::ToJson() const {
  nlohmann::json j = {{"name", name},       {"version", version},
                      {"training_command", training_command},
                      {"data", data},       {"created", created},
                      {"metrics_json", metrics_json}, {"runs", runs}};
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
  for (const char* key : {"runs", "legs"}) {  // "legs": checkpoints before the rename
    if (!j.contains(key) || !j[key].is_array()) continue;
    for (const auto& l : j[key]) {
      if (l.is_string()) p.runs.push_back(l.get<std::string>());
    }
    break;
  }
  return p;
}

std::string Provenance::Summary(bool detailed) const {
  std::string s = version.empty() ? name : version;
  if (!detailed) {
    if (!runs.empty()) absl::StrAppend(&s, "; ", runs.size(), " training run(s)");
    return s;
  }
  if (!runs.empty()) absl::StrAppend(&s, "; ", runs.size(), " training run(s), the last: ", runs.back());
  if (!data.empty()) absl::StrAppend(&s, "; data: ", data);
  return s;
}

}  // namespace lsms
