#include "tools/train/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/png_codec.h"
#include "common/status_macros.h"
#include "model/liver_roi.h"
#include "server/dicom/dicom_image.h"

namespace lsms::train {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<PngImage> LoadPng(const fs::path& p) {
  LSMS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(p.string()));
  LSMS_ASSIGN_OR_RETURN(PngImage img, DecodePng(bytes));
  if (img.channels != 1) return absl::InvalidArgumentError(absl::StrCat(p.string(), ": mask is not greyscale"));
  return img;
}

std::vector<uint8_t> ToModelMask(const std::vector<uint8_t>& m, int rows, int cols, const Letterbox& box) {
  Image img{rows, cols, std::vector<float>(m.begin(), m.end())};
  Image out = ToModel(img, box);
  std::vector<uint8_t> r(out.data.size());
  for (size_t i = 0; i < r.size(); ++i) r[i] = out.data[i] > 0.5f;
  return r;
}

// One view of a decoded slice: preprocessed on `box`, targets on its grid.
ImageEntry MakeEntry(const std::string& path, const std::string& id, const DecodedSlice& slice,
                     const PngImage* labels, const PngImage* liver, const Letterbox& box, float hu_offset,
                     const ModelConfig& config, std::shared_ptr<const Image> kept_hu, bool keep_original) {
  ImageEntry e;
  e.path = path;
  e.id = id;
  e.box = box;
  e.input = PreprocessHu(slice.hu, config, box, hu_offset);
  if (slice.row_spacing_mm > 0) {
    e.mm_per_pixel = static_cast<float>(std::sqrt(slice.row_spacing_mm * slice.col_spacing_mm) / box.scale);
  }
  if (labels) {
    std::set<int> ids(labels->pixels.begin(), labels->pixels.end());
    if (keep_original) {
      e.all_lesions_original.assign(labels->pixels.size(), 0);
      for (size_t i = 0; i < labels->pixels.size(); ++i) {
        e.all_lesions_original[i] = labels->pixels[i] != 0;
      }
    }
    for (int lesion : ids) {
      if (lesion == 0) continue;
      std::vector<uint8_t> m(labels->pixels.size());
      for (size_t i = 0; i < m.size(); ++i) m[i] = labels->pixels[i] == lesion;
      auto mm = ToModelMask(m, labels->height, labels->width, box);
      bool any = false;
      for (uint8_t v : mm) any = any || v;
      if (!any) continue;  // a lesion too small to survive resizing
      e.instances.push_back(std::move(mm));
      e.instance_ids.push_back(lesion);
    }
  }
  if (liver) {
    std::vector<uint8_t> m(liver->pixels.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = liver->pixels[i] != 0;
    e.liver = ToModelMask(m, liver->height, liver->width, box);
  }
  if (kept_hu) {
    e.hu = std::move(kept_hu);
    if (labels) e.labels_original = labels->pixels;
  }
  return e;
}

// One view of a slice and the HU offset of its windows.
struct View {
  Letterbox box;
  float hu_offset = 0.0f;
};

// The views of one slice: the whole slice (absolute windows, as pass 1 sees
// it) and/or its liver region (windows relative to the ground-truth liver
// when the config asks for it, as pass 2 sees them).
std::vector<View> Views(const LoadOptions& options, const DecodedSlice& slice, const PngImage* liver,
                        const ModelConfig& config, size_t image_number) {
  const Letterbox whole = Letterbox::For(slice.hu.rows, slice.hu.cols, config.input_size);
  if (options.roi_margin <= 0 || !liver) return {{whole, 0.0f}};
  Image mask{static_cast<int>(liver->height), static_cast<int>(liver->width),
             std::vector<float>(liver->pixels.begin(), liver->pixels.end())};
  const Letterbox grid = IdentityGrid(mask.rows, mask.cols);
  LiverRoiOptions roi;
  roi.threshold = 1.0f;  // any non-zero label
  roi.margin = options.roi_margin;
  std::optional<Letterbox> region = LiverRoi(mask, grid, config.input_size, roi);
  if (!region) return {{whole, 0.0f}};
  const float offset = LiverRelativeOffset(LiverMedianHu(slice.hu, mask, grid, 1.0f), config.liver_reference_hu);
  std::vector<View> views = {{*region, offset}};
  if (options.whole_every > 0 && image_number % static_cast<size_t>(options.whole_every) == 0) {
    views.push_back({whole, 0.0f});
  }
  return views;
}

absl::Status NoSamples(const LoadOptions& options) {
  return absl::InvalidArgumentError(
      absl::StrCat(options.manifest, ": no samples in split '", options.split, "'"));
}

// The samples of one manifest's split; none is not an error here.
absl::StatusOr<Dataset> LoadManifest(const LoadOptions& options, const ModelConfig& config) {
  LSMS_RETURN_IF_ERROR(InitDicomCodecs());
  std::ifstream in(options.manifest);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open manifest ", options.manifest));
  const fs::path root = fs::path(options.manifest).parent_path();
  Dataset ds;
  std::map<std::string, std::vector<int>> image_index;  // path → its views
  size_t distinct_images = 0;
  std::map<std::pair<int, std::string>, int> groups;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("image") || !j.contains("mask") || !j.contains("expression")) {
      return absl::InvalidArgumentError(absl::StrCat(options.manifest, ":", line_no,
                                                     ": needs image, mask and expression"));
    }
    const std::string split = j.value("split", "train");
    if (!options.split.empty() && split != options.split) continue;
    if (options.refuse_held_out && j.value("generator", "") == "lsms-ood") {
      return absl::FailedPreconditionError(absl::StrCat(
          options.manifest, ":", line_no, ": the out-of-distribution set (lsms-ood) is never trained or selected on"));
    }
    if (options.refuse_held_out && j.value("phrasing", "") == "held_out") {
      return absl::FailedPreconditionError(
          absl::StrCat(options.manifest, ":", line_no,
                       ": held-out phrasing must not be trained or selected on (make training data with "
                       "lsms-synth --phrasing seen)"));
    }
    const std::string image_path = j["image"].get<std::string>();
    auto it = image_index.find(image_path);
    if (it == image_index.end()) {
      if (options.max_images && distinct_images >= options.max_images) continue;
      LSMS_ASSIGN_OR_RETURN(std::string bytes, ReadFile((root / image_path).string()));
      auto slice = DecodeDicom(bytes);
      if (!slice.ok()) return absl::InvalidArgumentError(absl::StrCat(image_path, ": ", slice.status().message()));
      std::optional<PngImage> labels, liver;
      if (j.contains("instances")) {
        LSMS_ASSIGN_OR_RETURN(labels, LoadPng(root / j["instances"].get<std::string>()));
      }
      if (j.contains("liver")) {
        LSMS_ASSIGN_OR_RETURN(liver, LoadPng(root / j["liver"].get<std::string>()));
      }
      std::shared_ptr<const Image> kept_hu;
      if (options.keep_hu) kept_hu = std::make_shared<const Image>(slice->hu);
      std::vector<eval::LesionFacts> facts;
      if (j.contains("lesions") && j["lesions"].is_array()) {
        for (const auto& l : j["lesions"]) {
          facts.push_back({l.value("id", 0), l.value("diameter_mm", 0.0), l.value("attenuation", "")});
        }
      }
      std::vector<int> views;
      for (const View& view : Views(options, *slice, liver ? &*liver : nullptr, config, distinct_images)) {
        views.push_back(static_cast<int>(ds.images.size()));
        ds.images.push_back(MakeEntry(image_path, j.value("image_id", image_path), *slice,
                                      labels ? &*labels : nullptr, liver ? &*liver : nullptr, view.box,
                                      view.hu_offset, config, kept_hu, options.keep_original_masks));
        ds.images.back().lesions = facts;
      }
      ++distinct_images;
      it = image_index.emplace(image_path, std::move(views)).first;
    }
    LSMS_ASSIGN_OR_RETURN(PngImage mask, LoadPng(root / j["mask"].get<std::string>()));
    for (int view : it->second) {
      Sample s;
      s.image = view;
      s.expression = j["expression"].get<std::string>();
      s.kind = j.value("kind", "");
      s.phrasing = j.value("phrasing", "");
      s.phase = j.value("phase", "");
      if (j.contains("targets")) s.targets = j["targets"].get<std::vector<int>>();
      const ImageEntry& img = ds.images[s.image];
      if (mask.width != img.box.cols || mask.height != img.box.rows) {
        return absl::InvalidArgumentError(absl::StrCat(j["mask"].get<std::string>(), ": mask is ", mask.width, "x",
                                                       mask.height, ", image is ", img.box.cols, "x", img.box.rows));
      }
      std::vector<uint8_t> original(mask.pixels.size());
      for (size_t i = 0; i < mask.pixels.size(); ++i) original[i] = mask.pixels[i] != 0;
      s.mask = ToModelMask(original, mask.height, mask.width, img.box);
      // Samples of one view with the same target set are positives of each other.
      std::string key;
      if (!s.targets.empty() || j.contains("targets")) {
        for (int t : s.targets) absl::StrAppend(&key, t, ",");
      } else {
        key = std::to_string(std::hash<std::string_view>()(
            std::string_view(reinterpret_cast<const char*>(original.data()), original.size())));
      }
      if (options.keep_original_masks) s.mask_original = std::move(original);
      auto g = groups.emplace(std::make_pair(s.image, key), static_cast<int>(groups.size())).first;
      s.group = g->second;
      ds.by_kind[s.kind].push_back(static_cast<int>(ds.samples.size()));
      ds.samples.push_back(std::move(s));
    }
  }
  return ds;
}

}  // namespace

absl::StatusOr<Dataset> LoadDataset(const LoadOptions& options, const ModelConfig& config) {
  LSMS_ASSIGN_OR_RETURN(Dataset ds, LoadManifest(options, config));
  if (ds.samples.empty()) return NoSamples(options);
  return ds;
}

absl::StatusOr<Dataset> LoadDatasets(const LoadOptions& options, const ModelConfig& config) {
  Dataset all;
  for (absl::string_view manifest : absl::StrSplit(options.manifest, ',', absl::SkipEmpty())) {
    LoadOptions one = options;
    one.manifest = std::string(manifest);
    // Extra training manifests need not have a validation split: empty ones add nothing.
    LSMS_ASSIGN_OR_RETURN(Dataset ds, LoadManifest(one, config));
    AppendDataset(std::move(ds), &all);
  }
  if (all.samples.empty()) return NoSamples(options);
  return all;
}

void AppendDataset(Dataset from, Dataset* into) {
  const int image_offset = static_cast<int>(into->images.size());
  const int sample_offset = static_cast<int>(into->samples.size());
  int group_offset = 0;
  for (const Sample& s : into->samples) group_offset = std::max(group_offset, s.group + 1);
  for (auto& img : from.images) into->images.push_back(std::move(img));
  for (auto& s : from.samples) {
    s.image += image_offset;
    s.group += group_offset;
    into->samples.push_back(std::move(s));
  }
  for (auto& [kind, indices] : from.by_kind) {
    auto& dst = into->by_kind[kind];
    for (int i : indices) dst.push_back(i + sample_offset);
  }
}

}  // namespace lsms::train
