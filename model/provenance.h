// Provenance of a checkpoint: how it was made, recorded by every training run.
#ifndef LSMS_MODEL_PROVENANCE_H_
#define LSMS_MODEL_PROVENANCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lsms {

struct Provenance {
  std::string name = "lsms";
  std::string version;           // e.g. "nano-2026.11.29-s1234"
  std::string training_command;  // exact command line of the last run (reproduces it)
  std::string data;              // manifest, generator command and seed
  std::string created;           // ISO 8601 UTC of the last save
  std::string metrics_json;      // validation/test metrics, JSON object text
  // One line per training run of its lineage (steps, wall time); read from
  // "runs", or "legs" in checkpoints written before the rename.
  std::vector<std::string> runs;

  // One sentence for GetModelInfo: version, number of runs, the last run and
  // the data; without `detailed`, only the version and the number of runs
  // (what a caller without the admin scope sees: no paths, no commands).
  std::string Summary(bool detailed = true) const;

  std::string ToJson() const;
  static absl::StatusOr<Provenance> FromJson(const std::string& json);
};

}  // namespace lsms

#endif  // LSMS_MODEL_PROVENANCE_H_
