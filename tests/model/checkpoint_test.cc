#include "model/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/segmenter.h"
#include "model/tokenizer.h"

namespace lsms {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()))).string();
}

CheckpointInfo Info(int input = 64) {
  CheckpointInfo info;
  info.vocab = Tokenizer::BuildVocab({"the largest lesion"});
  info.config = *ModelConfig::FromPreset("nano");
  info.config.input_size = input;
  info.config.vocab_size = (*Tokenizer::FromVocabText(info.vocab))->vocab_size();
  info.provenance.version = "test-1";
  info.provenance.runs = {"run 1"};
  return info;
}

TEST(CheckpointTest, SaveLoadRoundTripIsBitExact) {
  CheckpointInfo info = Info();
  torch::manual_seed(1);
  LsmsNet net(info.config);
  const std::string path = TempPath("ckpt");
  ASSERT_TRUE(SaveCheckpoint(path, *net, info).ok());
  auto loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->info.provenance.version, "test-1");
  EXPECT_EQ(loaded->info.provenance.runs, std::vector<std::string>{"run 1"});
  EXPECT_EQ(loaded->info.config.ToJson(), info.config.ToJson());
  auto a = net->named_parameters();
  auto b = loaded->net->named_parameters();
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  auto ab = net->named_buffers();
  auto bb = loaded->net->named_buffers();
  for (const auto& p : ab) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();
  std::remove(path.c_str());
}

TEST(CheckpointTest, MismatchedShapesFailWithTheTensorName) {
  CheckpointInfo info = Info();
  LsmsNet net(info.config);
  const std::string path = TempPath("ckpt_bad");
  ASSERT_TRUE(SaveCheckpoint(path, *net, info).ok());
  auto file = *SafetensorsFile::Load(path);
  ModelConfig other = info.config;
  other.channels = {16, 64, 128, 256};
  LsmsNet wrong(other);
  auto st = LoadWeights(file, *wrong);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("vision.stem.0.weight"), std::string::npos) << st.message();
  std::remove(path.c_str());
}

TEST(CheckpointTest, ConfigWithoutRefinementFieldMeansNoHead) {
  // Checkpoints written before the refinement head existed have no such key.
  auto c = ModelConfig::FromJson(R"({"preset": "nano", "vocab_size": 40})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->refine_channels, 0);
  EXPECT_GT(ModelConfig::FromPreset("nano")->refine_channels, 0);
}

TEST(CheckpointTest, AddingARefinementHeadKeepsTheOldOutput) {
  CheckpointInfo info = Info();
  info.config.refine_channels = 0;
  torch::manual_seed(2);
  LsmsNet old_net(info.config);
  old_net->eval();
  const std::string path = TempPath("ckpt_norefine");
  ASSERT_TRUE(SaveCheckpoint(path, *old_net, info).ok());
  auto file = *SafetensorsFile::Load(path);

  ModelConfig with = info.config;
  with.refine_channels = 6;
  LsmsNet net(with);
  // Strict loading names the new tensors; allowing the prefix accepts them.
  auto strict = LoadWeights(file, *net);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.message().find("refine.out.weight"), std::string::npos) << strict.message();
  ASSERT_TRUE(LoadWeights(file, *net, {"refine."}).ok());
  net->eval();

  torch::NoGradGuard no_grad;
  NetInputs in;
  torch::manual_seed(3);
  in.image = torch::randn({2, 3, 64, 64});
  in.ids = torch::randint(4, info.config.vocab_size, {2, 6});
  in.mask = torch::ones({2, 6});
  in.mm_per_pixel = torch::full({2}, 1.5);
  auto a = old_net->forward(in), b = net->forward(in);
  EXPECT_TRUE(torch::allclose(a.ref_logits, b.ref_logits, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(a.all_logits, b.all_logits, 1e-5, 1e-5));
  // The head is really in the path: once its residual is non-zero the output moves.
  net->refine->out->bias.fill_(1.0);
  EXPECT_NEAR((net->forward(in).ref_logits - a.ref_logits).mean().item<float>(), 1.0f, 1e-4);
  std::remove(path.c_str());
}

TEST(CheckpointTest, AddingAWindowKeepsTheOldOutputUntilItsWeightsMove) {
  CheckpointInfo info = Info();
  ASSERT_GT(info.config.refine_channels, 0);  // both readers of the image are widened
  torch::manual_seed(4);
  LsmsNet old_net(info.config);
  old_net->eval();
  const std::string path = TempPath("ckpt_windows");
  ASSERT_TRUE(SaveCheckpoint(path, *old_net, info).ok());
  auto file = *SafetensorsFile::Load(path);

  ModelConfig with = info.config;
  with.windows.push_back({160.0f, 120.0f});
  LsmsNet net(with);
  auto strict = LoadWeights(file, *net);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.message().find("vision.stem.0.weight"), std::string::npos) << strict.message();
  ASSERT_TRUE(LoadWeightsAddingWindows(file, *net, 3, 1).ok());
  net->eval();

  torch::NoGradGuard no_grad;
  NetInputs in;
  torch::manual_seed(5);
  in.image = torch::randn({2, 4, 64, 64});  // the new window: noise the old net never saw
  in.ids = torch::randint(4, info.config.vocab_size, {2, 6});
  in.mask = torch::ones({2, 6});
  in.mm_per_pixel = torch::full({2}, 1.5);
  NetInputs old_in = in;
  old_in.image = in.image.narrow(1, 0, 3).contiguous();
  auto a = old_net->forward(old_in), b = net->forward(in);
  EXPECT_TRUE(torch::allclose(a.ref_logits, b.ref_logits, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(a.all_logits, b.all_logits, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(a.present_logit, b.present_logit, 1e-5, 1e-5));
  // The coordinate channels kept their weights: they sit after the new window.
  auto stem = net->named_parameters()["vision.stem.0.weight"];
  auto old_stem = old_net->named_parameters()["vision.stem.0.weight"];
  EXPECT_TRUE(torch::equal(stem.narrow(1, 4, 2), old_stem.narrow(1, 3, 2)));
  EXPECT_EQ(stem.narrow(1, 3, 1).abs().sum().item<float>(), 0.0f);
  // The new channel is really read once its weights move.
  stem.narrow(1, 3, 1).fill_(0.5);
  EXPECT_FALSE(torch::allclose(net->forward(in).all_logits, a.all_logits, 1e-3, 1e-3));
  // A file that is not narrower than the model by the added windows fails, saying so.
  LsmsNet two(with);
  auto wrong = LoadWeightsAddingWindows(file, *two, 3, 2);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("no convolution reads 3 windows"), std::string::npos) << wrong.message();
  std::remove(path.c_str());
}

// One random 64 px slice and expression with two square candidates.
NetInputs TwoCandidates(int64_t vocab_size) {
  NetInputs in;
  torch::manual_seed(3);
  in.image = torch::randn({1, 3, 64, 64});
  in.ids = torch::randint(4, vocab_size, {1, 6});
  in.mask = torch::ones({1, 6});
  in.mm_per_pixel = torch::full({1}, 1.5);
  in.candidates = torch::zeros({1, 2, 64, 64});
  in.candidates.index_put_({0, 0, torch::indexing::Slice(4, 12), torch::indexing::Slice(4, 12)}, 1);
  in.candidates.index_put_({0, 1, torch::indexing::Slice(30, 34), torch::indexing::Slice(30, 34)}, 1);
  in.candidate_valid = torch::ones({1, 2});
  return in;
}

TEST(CheckpointTest, AddingACandidateRelationKeepsTheOldScores) {
  CheckpointInfo info = Info();
  info.config.candidate_relation_heads = 0;
  torch::manual_seed(2);
  LsmsNet old_net(info.config);
  old_net->eval();
  const std::string path = TempPath("ckpt_norelation");
  ASSERT_TRUE(SaveCheckpoint(path, *old_net, info).ok());
  auto file = *SafetensorsFile::Load(path);
  ModelConfig with = info.config;
  with.candidate_relation_heads = 4;
  LsmsNet net(with);
  auto strict = LoadWeights(file, *net);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.message().find("cand_relation.out.weight"), std::string::npos) << strict.message();
  ASSERT_TRUE(LoadWeights(file, *net, {"cand_relation."}).ok());
  net->eval();

  torch::NoGradGuard no_grad;
  NetInputs in = TwoCandidates(info.config.vocab_size);
  auto a = old_net->forward(in).candidate_logits, b = net->forward(in).candidate_logits;
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5));
  net->cand_relation->out->weight.normal_(0, 0.5);
  EXPECT_FALSE(torch::allclose(net->forward(in).candidate_logits, a, 1e-4, 1e-4));
  std::remove(path.c_str());
}

TEST(CheckpointTest, AddingLiverFrameFeaturesKeepsTheOldScores) {
  CheckpointInfo info = Info();
  info.config.candidate_liver_frame = false;
  torch::manual_seed(2);
  LsmsNet old_net(info.config);
  old_net->eval();
  const std::string path = TempPath("ckpt_noframe");
  ASSERT_TRUE(SaveCheckpoint(path, *old_net, info).ok());
  // The option is stored: the checkpoint reloads without the branch.
  auto reloaded = LoadCheckpoint(path);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(reloaded->info.config.candidate_liver_frame);
  EXPECT_FALSE(reloaded->net->cand_frame);
  auto file = *SafetensorsFile::Load(path);
  ModelConfig with = info.config;
  with.candidate_liver_frame = true;
  LsmsNet net(with);
  EXPECT_FALSE(LoadWeights(file, *net).ok());
  ASSERT_TRUE(LoadWeights(file, *net, {"cand_frame."}).ok());
  net->eval();

  torch::NoGradGuard no_grad;
  NetInputs in = TwoCandidates(info.config.vocab_size);
  in.liver = torch::zeros({1, 64, 64});
  in.liver.index_put_({0, torch::indexing::Slice(2, 40), torch::indexing::Slice(2, 40)}, 1);
  auto a = old_net->forward(in).candidate_logits, b = net->forward(in).candidate_logits;
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5));
  net->cand_frame->ptr(2)->as<torch::nn::Linear>()->weight.normal_(0, 0.5);
  EXPECT_FALSE(torch::allclose(net->forward(in).candidate_logits, a, 1e-4, 1e-4));
  std::remove(path.c_str());
}

TEST(CheckpointTest, LoadsHuggingFaceBertNamesFromSafetensors) {
  ModelConfig c = Info().config;
  TextEncoder source(c), target(c);
  // Write the source encoder as an HF file would name it (with "bert." prefix
  // and a pooler that must be ignored).
  SafetensorsFile f;
  for (const auto& p : source->named_parameters()) {
    auto t = p.value().contiguous();
    TensorView v{DType::kF32, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()),
                 std::string(static_cast<const char*>(t.data_ptr()), t.numel() * 4)};
    f.tensors["bert." + p.key()] = v;
  }
  f.tensors["bert.pooler.dense.weight"] = {DType::kF32, {1}, std::string(4, '\0')};
  auto st = LoadBertWeights(*SafetensorsFile::Parse(f.Serialize()), *target);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(torch::equal(source->embeddings->word_embeddings->weight,
                           target->embeddings->word_embeddings->weight));
  // A missing tensor is named.
  f.tensors.erase("bert.encoder.layer.0.attention.self.query.weight");
  st = LoadBertWeights(*SafetensorsFile::Parse(f.Serialize()), *target);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("encoder.layer.0.attention.self.query.weight"), std::string::npos);
}

TEST(CheckpointTest, SegmenterPredictsFromCheckpoint) {
  CheckpointInfo info = Info();
  LsmsNet net(info.config);
  const std::string path = TempPath("ckpt_seg");
  ASSERT_TRUE(SaveCheckpoint(path, *net, info).ok());
  auto seg = Segmenter::Load({path, "cpu", "none", 1});
  ASSERT_TRUE(seg.ok()) << seg.status();
  ModelInput in;
  Image hu{50, 70, std::vector<float>(50 * 70, 40.0f)};
  Letterbox box;
  in.image = PreprocessHu(hu, (*seg)->config(), &box);
  in.box = box;
  in.tokens = (*seg)->tokenizer().Encode("the largest lesion", (*seg)->config().max_tokens);
  auto out = (*seg)->Predict({&in, &in});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].probability.rows, 64);
  EXPECT_EQ((*out)[0].box.scale, box.scale);
  EXPECT_FALSE((*out)[0].liver_region);
  EXPECT_EQ((*out)[0].token_relevance.size(), static_cast<size_t>(info.config.max_tokens));
  ModelInput bad = in;
  bad.image.resize(3);
  EXPECT_EQ((*seg)->Predict({&bad}).status().code(), absl::StatusCode::kInvalidArgument);
  ModelInput no_box = in;
  no_box.box = Letterbox();
  EXPECT_EQ((*seg)->Predict({&no_box}).status().code(), absl::StatusCode::kInvalidArgument);
  ModelInput wrong_hu = in;
  wrong_hu.hu = std::make_shared<const Image>(Image{10, 10, std::vector<float>(100, 0.0f)});
  EXPECT_EQ((*seg)->Predict({&wrong_hu}).status().code(), absl::StatusCode::kInvalidArgument);
  std::remove(path.c_str());
}

TEST(CheckpointTest, AbsoluteWindowsAblationTurnsOffLiverRelativeWindows) {
  CheckpointInfo info = Info();
  info.config.roi_margin = 0.12f;
  info.config.liver_reference_hu = 60.0f;
  LsmsNet net(info.config);
  const std::string path = TempPath("ckpt_relative");
  ASSERT_TRUE(SaveCheckpoint(path, *net, info).ok());
  auto relative = Segmenter::Load({path, "cpu", "none", 1});
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_EQ((*relative)->config().liver_reference_hu, 60.0f);
  Segmenter::Options o{path, "cpu", "none", 1};
  o.absolute_windows = true;
  auto absolute = Segmenter::Load(o);
  ASSERT_TRUE(absolute.ok()) << absolute.status();
  EXPECT_EQ((*absolute)->config().liver_reference_hu, 0.0f);
  std::remove(path.c_str());
}

// The input mirrored left-right (windows×S×S, row-major).
std::vector<float> Mirrored(const std::vector<float>& image, int s) {
  std::vector<float> m(image.size());
  for (size_t plane = 0; plane < image.size(); plane += static_cast<size_t>(s) * s) {
    for (int y = 0; y < s; ++y) {
      for (int x = 0; x < s; ++x) m[plane + y * s + x] = image[plane + y * s + (s - 1 - x)];
    }
  }
  return m;
}

TEST(CheckpointTest, FlipAveragingMakesThePredictionMirrorEquivariant) {
  CheckpointInfo info = Info();
  info.vocab = Tokenizer::BuildVocab({"the lesion in the left lobe", "the right lobe"});
  info.config.vocab_size = (*Tokenizer::FromVocabText(info.vocab))->vocab_size();
  torch::manual_seed(4);
  LsmsNet net(info.config);
  {
    // Layer scale starts at 1e-2; enlarge it so that the untrained net's map varies.
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters()) {
      if (p.key().find("gamma") != std::string::npos) p.value().fill_(1.0);
    }
  }
  const std::string path = TempPath("ckpt_flip");
  ASSERT_TRUE(SaveCheckpoint(path, *net, info).ok());
  Segmenter::Options o{path, "cpu", "none", 1};
  o.calibration.present_threshold = 0.01f;  // keep the mask open: this test is about the map
  auto plain = Segmenter::Load(o);
  o.flip_averaging = true;
  auto tta = Segmenter::Load(o);
  ASSERT_TRUE(plain.ok() && tta.ok()) << tta.status();
  const int s = info.config.input_size;
  torch::manual_seed(5);
  auto noise = torch::rand({3, s, s}).contiguous();
  ModelInput in;
  in.image.assign(noise.data_ptr<float>(), noise.data_ptr<float>() + noise.numel());
  in.box = Letterbox::For(s, s, s);
  in.tokens = (*tta)->tokenizer().Encode("the lesion in the left lobe", info.config.max_tokens);
  ModelInput mirror = in;
  mirror.image = Mirrored(in.image, s);
  mirror.tokens = (*tta)->tokenizer().Encode("the lesion in the right lobe", info.config.max_tokens);
  auto mirror_gap = [&](Segmenter& seg) {
    auto a = seg.Predict({&in}), b = seg.Predict({&mirror});
    EXPECT_TRUE(a.ok() && b.ok());
    const auto& pa = (*a)[0].probability.data;
    const std::vector<float> pb = Mirrored((*b)[0].probability.data, s);
    float gap = 0, spread = 0;
    for (size_t i = 0; i < pa.size(); ++i) {
      gap = std::max(gap, std::abs(pa[i] - pb[i]));
      spread = std::max(spread, std::abs(pa[i] - pa[0]));
    }
    EXPECT_GT(spread, 1e-3f);  // a map that varies, not a constant
    return std::pair{gap, std::abs((*a)[0].target_present - (*b)[0].target_present)};
  };
  auto [tta_gap, tta_present_gap] = mirror_gap(**tta);
  EXPECT_LT(tta_gap, 1e-5f);
  EXPECT_LT(tta_present_gap, 1e-6f);
  EXPECT_GT(mirror_gap(**plain).first, 1e-3f);  // without it the model is not symmetric
  // A vocabulary without "left"/"right" cannot mirror an expression.
  CheckpointInfo no_words = Info();
  LsmsNet net2(no_words.config);
  const std::string path2 = TempPath("ckpt_flip_nowords");
  ASSERT_TRUE(SaveCheckpoint(path2, *net2, no_words).ok());
  Segmenter::Options o2{path2, "cpu", "none", 1};
  o2.flip_averaging = true;
  EXPECT_EQ(Segmenter::Load(o2).status().code(), absl::StatusCode::kInvalidArgument);
  std::remove(path.c_str());
  std::remove(path2.c_str());
}

// A small saved checkpoint and one noise slice with an expression, for the
// decision-gate tests; Predict() loads the checkpoint with `cal` applied.
class GateCase {
 public:
  explicit GateCase(const std::string& name) : path_(TempPath(name)) {
    info_.vocab = Tokenizer::BuildVocab({"the lesion in the left lobe", "the right lobe"});
    info_.config.vocab_size = (*Tokenizer::FromVocabText(info_.vocab))->vocab_size();
    torch::manual_seed(6);
    LsmsNet net(info_.config);
    EXPECT_TRUE(SaveCheckpoint(path_, *net, info_).ok());
    const int s = info_.config.input_size;
    torch::manual_seed(7);
    auto noise = torch::rand({3, s, s}).contiguous();
    in_.image.assign(noise.data_ptr<float>(), noise.data_ptr<float>() + noise.numel());
    in_.box = Letterbox::For(s, s, s);
  }
  ~GateCase() { std::remove(path_.c_str()); }

  Prediction Predict(const Calibration& cal, bool flip_averaging = false) {
    Segmenter::Options o{path_, "cpu", "none", 1};
    o.flip_averaging = flip_averaging;
    o.calibration = cal;
    auto seg = Segmenter::Load(o);
    EXPECT_TRUE(seg.ok()) << seg.status();
    in_.tokens = (*seg)->tokenizer().Encode("the lesion in the left lobe", info_.config.max_tokens);
    auto out = (*seg)->Predict({&in_});
    EXPECT_TRUE(out.ok()) << out.status();
    return (*out)[0];
  }

 private:
  CheckpointInfo info_ = Info();
  std::string path_;
  ModelInput in_;
};

float Peak(const Prediction& p) { return *std::max_element(p.probability.data.begin(), p.probability.data.end()); }

TEST(CheckpointTest, PresentGateEmptiesTheMaskExactlyWhenTheReportedScoreIsBelowIt) {
  GateCase gate("ckpt_gate");
  // With flip averaging the gate must use the averaged score that is reported.
  auto predict = [&](float threshold) {
    Calibration cal;
    cal.present_threshold = threshold;
    return gate.Predict(cal, /*flip_averaging=*/true);
  };
  const Prediction open = predict(1e-6f);
  const float score = open.target_present;
  ASSERT_GT(score, 1e-3f);
  ASSERT_LT(score, 1 - 1e-3f);
  EXPECT_GT(Peak(open), 0.0f);
  const Prediction below = predict(score - 1e-4f), above = predict(score + 1e-4f);
  EXPECT_EQ(below.target_present, score);
  EXPECT_EQ(below.probability.data, open.probability.data);
  EXPECT_EQ(above.target_present, score);
  EXPECT_EQ(Peak(above), 0.0f);
}

TEST(CheckpointTest, PeakGateEmptiesTheMaskExactlyWhenItsHighestProbabilityIsBelowIt) {
  GateCase gate("ckpt_peak");
  auto predict = [&](float peak_threshold) {
    Calibration cal;
    cal.present_threshold = 1e-6f;  // this test is about the peak gate alone
    cal.peak_threshold = peak_threshold;
    return gate.Predict(cal);
  };
  const Prediction open = predict(0.0f);
  const float peak = Peak(open);
  ASSERT_GT(peak, 1e-3f);
  EXPECT_EQ(predict(peak).probability.data, open.probability.data);  // at the peak: kept
  const Prediction above = predict(std::nextafter(peak, 1.0f));
  EXPECT_EQ(above.target_present, open.target_present);  // the score is still reported
  EXPECT_EQ(Peak(above), 0.0f);
}

}  // namespace
}  // namespace lsms
