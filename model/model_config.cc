#include "model/model_config.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace lsms {

std::vector<std::string> ModelConfig::PresetNames() { return {"nano", "tiny", "base"}; }

absl::StatusOr<ModelConfig> ModelConfig::FromPreset(const std::string& name) {
  ModelConfig c;
  c.preset = name;
  if (name == "nano") {
    return c;  // the defaults are the nano preset
  }
  if (name == "tiny") {
    c.channels = {32, 64, 160, 256};
    c.depths = {2, 2, 4, 2};
    c.text_dim = 256;
    c.text_layers = 4;
    c.text_heads = 4;
    c.text_ffn = 1024;
    c.decoder_dim = 192;
    c.embed_dim = 192;
    c.refine_channels = 16;
    return c;
  }
  if (name == "base") {
    // Paper scale: bert-base text encoder, 480 px input, SLViT/SegNeXt-B widths.
    c.input_size = 480;
    c.channels = {64, 128, 320, 512};
    c.depths = {3, 3, 12, 3};
    c.text_dim = 768;
    c.text_layers = 12;
    c.text_heads = 12;
    c.text_ffn = 3072;
    c.vocab_size = 30522;  // bert-base-uncased
    c.decoder_dim = 256;
    c.decoder_heads = 8;
    c.embed_dim = 256;
    c.refine_channels = 16;
    c.drop_path = 0.2f;
    return c;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown preset '", name, "' (known: ",
                                                 absl::StrJoin(PresetNames(), ", "), ")"));
}

std::string ModelConfig::ToJson() const {
  nlohmann::json j;
  j["preset"] = preset;
  j["input_size"] = input_size;
  j["channels"] = channels;
  j["depths"] = depths;
  j["mlp_ratios"] = mlp_ratios;
  j["strip_kernels"] = strip_kernels;
  j["layer_scale_init"] = layer_scale_init;
  j["drop_path"] = drop_path;
  j["coord_channels"] = coord_channels;
  j["vocab_size"] = vocab_size;
  j["text_dim"] = text_dim;
  j["text_width"] = text_width;
  j["text_layers"] = text_layers;
  j["text_heads"] = text_heads;
  j["text_ffn"] = text_ffn;
  j["max_position"] = max_position;
  j["type_vocab_size"] = type_vocab_size;
  j["max_tokens"] = max_tokens;
  j["text_dropout"] = text_dropout;
  j["decoder_dim"] = decoder_dim;
  j["decoder_heads"] = decoder_heads;
  j["decoder_sr_ratio"] = decoder_sr_ratio;
  j["refine_channels"] = refine_channels;
  j["roi_margin"] = roi_margin;
  j["liver_reference_hu"] = liver_reference_hu;
  j["selection_head"] = selection_head;
  j["max_candidates"] = max_candidates;
  j["candidate_relation_heads"] = candidate_relation_heads;
  j["candidate_liver_frame"] = candidate_liver_frame;
  j["candidate_threshold"] = candidate_threshold;
  j["selection_mask"] = selection_mask;
  j["embed_dim"] = embed_dim;
  nlohmann::json w = nlohmann::json::array();
  for (const auto& win : windows) w.push_back({{"width", win.width}, {"level", win.level}});
  j["windows"] = w;
  j["norm_mean"] = norm_mean;
  j["norm_std"] = norm_std;
  j["default_threshold"] = default_threshold;
  j["present_threshold"] = present_threshold;
  j["peak_threshold"] = peak_threshold;
  return j.dump();
}

absl::StatusOr<ModelConfig> ModelConfig::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("model config is not a JSON object");
  }
  ModelConfig c;
  // Older checkpoints have no refinement head and no candidate relation.
  c.refine_channels = 0;
  c.candidate_relation_heads = 0;
  c.candidate_liver_frame = false;
  try {
    // Every field is optional so that older checkpoints keep loading; absent
    // fields take the nano defaults above.
    auto get = [&j](const char* key, auto& field) {
      if (j.contains(key)) j.at(key).get_to(field);
    };
    get("preset", c.preset);
    get("input_size", c.input_size);
    get("channels", c.channels);
    get("depths", c.depths);
    get("mlp_ratios", c.mlp_ratios);
    get("strip_kernels", c.strip_kernels);
    get("layer_scale_init", c.layer_scale_init);
    get("drop_path", c.drop_path);
    get("coord_channels", c.coord_channels);
    get("vocab_size", c.vocab_size);
    get("text_dim", c.text_dim);
    get("text_width", c.text_width);
    get("text_layers", c.text_layers);
    get("text_heads", c.text_heads);
    get("text_ffn", c.text_ffn);
    get("max_position", c.max_position);
    get("type_vocab_size", c.type_vocab_size);
    get("max_tokens", c.max_tokens);
    get("text_dropout", c.text_dropout);
    get("decoder_dim", c.decoder_dim);
    get("decoder_heads", c.decoder_heads);
    get("decoder_sr_ratio", c.decoder_sr_ratio);
    get("refine_channels", c.refine_channels);
    get("roi_margin", c.roi_margin);
    get("liver_reference_hu", c.liver_reference_hu);
    get("selection_head", c.selection_head);
    get("max_candidates", c.max_candidates);
    get("candidate_relation_heads", c.candidate_relation_heads);
    get("candidate_liver_frame", c.candidate_liver_frame);
    get("candidate_threshold", c.candidate_threshold);
    get("selection_mask", c.selection_mask);
    get("embed_dim", c.embed_dim);
    if (j.contains("windows")) {
      c.windows.clear();
      for (const auto& w : j.at("windows")) {
        c.windows.push_back({w.at("width").get<float>(), w.at("level").get<float>()});
      }
    }
    get("norm_mean", c.norm_mean);
    get("norm_std", c.norm_std);
    get("default_threshold", c.default_threshold);
    get("present_threshold", c.present_threshold);
    get("peak_threshold", c.peak_threshold);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad model config: ", e.what()));
  }
  if (c.input_size < 32 || c.input_size % 32 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("input_size must be a positive multiple of 32, got ", c.input_size));
  }
  if (c.windows.empty()) return absl::InvalidArgumentError("model config has no HU windows");
  if (c.candidate_relation_heads < 0 ||
      (c.candidate_relation_heads > 0 && c.embed_dim % c.candidate_relation_heads != 0)) {
    return absl::InvalidArgumentError(absl::StrCat("candidate_relation_heads must be 0 or divide embed_dim ",
                                                   c.embed_dim, ", got ", c.candidate_relation_heads));
  }
  if (c.text_width < 0) return absl::InvalidArgumentError("text_width must be >= 0");
  if (c.text_hidden() % c.text_heads != 0) {
    return absl::InvalidArgumentError("the text encoder's width must be divisible by text_heads");
  }
  LSMS_RETURN_IF_ERROR(ApplyCalibration(
      {c.present_threshold, c.candidate_threshold, c.selection_mask, c.peak_threshold}, &c));
  if (!(c.liver_reference_hu >= -200.0f && c.liver_reference_hu <= 300.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("liver_reference_hu must be in [-200, 300] (0 = off), got ", c.liver_reference_hu));
  }
  if (!(c.roi_margin >= 0.0f && c.roi_margin <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("roi_margin must be in [0, 1], got ", c.roi_margin));
  }
  return c;
}

absl::Status ApplyCalibration(const Calibration& c, ModelConfig* config) {
  auto in_unit = [](const char* name, const std::optional<float>& v) {
    if (v && !(*v > 0.0f && *v < 1.0f)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be in (0, 1), got ", *v));
    }
    return absl::OkStatus();
  };
  LSMS_RETURN_IF_ERROR(in_unit("present_threshold", c.present_threshold));
  LSMS_RETURN_IF_ERROR(in_unit("candidate_threshold", c.candidate_threshold));
  if (c.selection_mask && *c.selection_mask != "product" && *c.selection_mask != "instance") {
    return absl::InvalidArgumentError(
        absl::StrCat("selection_mask must be product or instance, got '", *c.selection_mask, "'"));
  }
  if (c.peak_threshold && !(*c.peak_threshold >= 0.0f && *c.peak_threshold < 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("peak_threshold must be in [0, 1), got ", *c.peak_threshold));
  }
  if (c.present_threshold) config->present_threshold = *c.present_threshold;
  if (c.candidate_threshold) config->candidate_threshold = *c.candidate_threshold;
  if (c.selection_mask) config->selection_mask = *c.selection_mask;
  if (c.peak_threshold) config->peak_threshold = *c.peak_threshold;

  return absl::OkStatus();
}

}  // namespace lsms
