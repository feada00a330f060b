#include "model/lsms_net.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/losses.h"

namespace lsms {
namespace {

ModelConfig Small(const std::string& preset) {
  ModelConfig c = *ModelConfig::FromPreset(preset);
  c.input_size = 64;
  c.vocab_size = 40;
  if (preset == "base") {  // keep the layout, shrink the cost
    c.text_layers = 1;
    c.depths = {1, 1, 1, 1};
  }
  return c;
}

NetInputs Inputs(const ModelConfig& c, int b, int seed) {
  torch::manual_seed(seed);
  NetInputs in;
  in.image = torch::randn({b, static_cast<int64_t>(c.windows.size()), c.input_size, c.input_size});
  in.ids = torch::randint(4, c.vocab_size, {b, 8});
  in.mask = torch::ones({b, 8});
  in.mask.index_put_({torch::indexing::Slice(), torch::indexing::Slice(6)}, 0);
  in.mm_per_pixel = torch::full({b}, 1.5);
  return in;
}

class PresetTest : public testing::TestWithParam<std::string> {};

TEST_P(PresetTest, EveryBlockHasTheDocumentedShape) {
  ModelConfig c = Small(GetParam());
  LsmsNet net(c);
  net->eval();
  NetInputs in = Inputs(c, 2, 1);
  auto words = net->text(in.ids, in.mask);
  EXPECT_EQ(words.sizes(), (std::vector<int64_t>{2, 8, c.text_dim}));
  auto image = torch::cat({in.image, torch::zeros({2, 2, 64, 64})}, 1);
  auto f = net->vision(image, words, in.mask);
  ASSERT_EQ(f.size(), 4u);
  for (int s = 0; s < 4; ++s) {
    int64_t side = 64 >> (s + 2);
    EXPECT_EQ(f[s].sizes(), (std::vector<int64_t>{2, c.channels[s], side, side})) << "F" << s + 1;
  }
  auto dec = net->decoder(f, words, in.mask);
  EXPECT_EQ(dec.logits.sizes(), (std::vector<int64_t>{2, 3, 16, 16}));
  EXPECT_EQ(dec.visual.sizes(), (std::vector<int64_t>{2, c.decoder_dim, 8, 8}));
  NetOutputs out = net->forward(in);
  EXPECT_EQ(out.ref_logits.sizes(), (std::vector<int64_t>{2, 64, 64}));
  EXPECT_EQ(out.present_logit.sizes(), (std::vector<int64_t>{2}));
  auto rel = net->TokenRelevance(torch::sigmoid(out.ref_logits), in.mask);
  EXPECT_EQ(rel.sizes(), (std::vector<int64_t>{2, 8}));
  EXPECT_NEAR(rel[0].sum().item<float>(), 1.0f, 1e-4);
  EXPECT_EQ(rel[0][7].item<float>(), 0.0f);  // padding gets nothing
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetTest, testing::Values("nano", "tiny", "base"));

TEST(LsmsNetTest, OneBackwardPassReachesEveryParameter) {
  ModelConfig c = Small("nano");
  c.drop_path = 0;
  LsmsNet net(c);
  ASSERT_TRUE(net->refine);
  {
    // The refinement head's last layer starts at zero (so that adding it keeps
    // a trained model's output); after the first optimiser step it is not.
    torch::NoGradGuard no_grad;
    net->refine->out->weight.normal_(0, 0.1);
    ASSERT_TRUE(net->cand_relation);  // so does the candidate relation's
    net->cand_relation->out->weight.normal_(0, 0.1);
    ASSERT_TRUE(net->cand_frame);  // and the liver-frame branch's
    net->cand_frame->ptr(2)->as<torch::nn::Linear>()->weight.normal_(0, 0.1);
  }
  net->train();
  NetInputs in = Inputs(c, 4, 2);
  auto cand = torch::zeros({4, 2, 64, 64});
  cand.index_put_({torch::indexing::Slice(), 0, torch::indexing::Slice(10, 20), torch::indexing::Slice(10, 20)}, 1);
  cand.index_put_({torch::indexing::Slice(), 1, torch::indexing::Slice(40, 50), torch::indexing::Slice(30, 44)}, 1);
  in.candidates = cand;
  in.candidate_valid = torch::ones({4, 2});
  NetOutputs out = net->forward(in);
  LossTargets t;
  t.target = cand.select(1, 0);
  t.all_lesions = cand.sum(1);
  t.liver = torch::zeros({4, 64, 64});
  t.present = torch::tensor({1.0f, 1.0f, 1.0f, 0.0f});
  t.group = torch::tensor({0, 1, 0, 2});
  t.candidate_target = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 0.0f}, {0.0f, 0.0f}});
  t.candidate_valid = in.candidate_valid;
  LossTerms l = ComputeLosses(*net, out, t, LossWeights{});
  l.total.backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST(LsmsNetTest, ChangingOnlyTheExpressionChangesTheOutput) {
  ModelConfig c = Small("nano");
  torch::manual_seed(3);
  LsmsNet net(c);
  net->eval();
  // Layer scale starts at 1e-2; enlarge it so an untrained net shows the path.
  torch::NoGradGuard g;
  for (auto& p : net->named_parameters()) {
    if (p.key().find("gamma") != std::string::npos) p.value().fill_(1.0);
  }
  NetInputs a = Inputs(c, 1, 4);
  NetInputs b = a;
  b.ids = a.ids.clone();
  b.ids[0][1] = (a.ids[0][1].item<int64_t>() + 7) % c.vocab_size;
  auto ya = torch::sigmoid(net->forward(a).ref_logits);
  auto yb = torch::sigmoid(net->forward(b).ref_logits);
  EXPECT_GT((ya - yb).abs().max().item<float>(), 1e-4);
}

// An untrained nano net in eval mode and its forward pass over one seeded input.
struct SmallForward {
  ModelConfig c = Small("nano");
  LsmsNet net{nullptr};
  NetInputs in;
  NetOutputs out;
};

SmallForward RunSmall(int seed) {
  SmallForward f;
  torch::manual_seed(seed);
  f.net = LsmsNet(f.c);
  f.net->eval();
  torch::NoGradGuard no_grad;
  f.in = Inputs(f.c, 1, seed);
  f.out = f.net->forward(f.in);
  return f;
}

TEST(LsmsNetTest, PresentThresholdGatesTheReferredMask) {
  auto [c, net, in, out] = RunSmall(6);
  torch::NoGradGuard no_grad;
  const float present = torch::sigmoid(out.present_logit).item<float>();
  ASSERT_GT(present, 0.02f);
  ASSERT_LT(present, 0.98f);
  net->config.present_threshold = present - 0.01f;  // said present: the mask stands
  const float open = net->ReferredProbability(out, in).sum().item<float>();
  net->config.present_threshold = present + 0.01f;  // said absent: empty
  const float closed = net->ReferredProbability(out, in).sum().item<float>();
  EXPECT_GT(open, 0.0f);
  EXPECT_EQ(closed, 0.0f);
}

TEST(LsmsNetTest, PeakThresholdGatesAnAnswerOnItsHighestProbability) {
  auto [c, net, in, out] = RunSmall(6);
  torch::NoGradGuard no_grad;
  net->config.present_threshold = 0.01f;  // always present: this test is about the peak
  const float peak = net->ReferredProbability(out, in).max().item<float>();
  ASSERT_GT(peak, 0.02f);
  net->config.peak_threshold = peak - 0.01f;  // the answer stands
  EXPECT_GT(net->ReferredProbability(out, in).sum().item<float>(), 0.0f);
  net->config.peak_threshold = peak + 0.01f;  // below the gate: empty
  EXPECT_EQ(net->ReferredProbability(out, in).sum().item<float>(), 0.0f);
}

TEST(LsmsNetTest, InstanceMaskReturnsSelectedCandidatesWholeAtTheirSelectionProbability) {
  auto [c, net, in, out] = RunSmall(6);
  torch::NoGradGuard no_grad;
  net->config.present_threshold = 0.01f;  // always present: this test is about selection
  // Two square candidates of all-lesions probability 0.6 (below 0.5 / 0.8).
  auto all = torch::full({1, c.input_size, c.input_size}, -8.0);
  all.index_put_({0, torch::indexing::Slice(4, 12), torch::indexing::Slice(4, 12)}, std::log(0.6 / 0.4));
  all.index_put_({0, torch::indexing::Slice(30, 40), torch::indexing::Slice(30, 40)}, std::log(0.6 / 0.4));
  out.all_logits = all;
  auto [cand, valid] = ExtractCandidates(torch::sigmoid(all), c.candidate_threshold, c.max_candidates, 3);
  NetInputs with = in;
  with.candidates = cand;
  with.candidate_valid = valid;
  auto sel = torch::sigmoid(net->ScoreCandidates(out, with));  // largest (10×10) first
  ASSERT_EQ(valid.sum().item<float>(), 2.0f);
  net->config.selection_mask = "instance";
  auto inst = net->ReferredProbability(out, in);
  EXPECT_NEAR(inst[0][35][35].item<float>(), sel[0][0].item<float>(), 1e-5);
  EXPECT_NEAR(inst[0][8][8].item<float>(), sel[0][1].item<float>(), 1e-5);
  EXPECT_EQ(inst[0][20][20].item<float>(), 0.0f);  // outside every candidate
  net->config.selection_mask = "product";
  auto prod = net->ReferredProbability(out, in);
  EXPECT_NEAR(prod[0][35][35].item<float>(), 0.6f * sel[0][0].item<float>(), 1e-5);
}

TEST(CandidateRelationTest, StartsAsIdentityAndRelatesOnlyValidCandidates) {
  torch::manual_seed(8);
  CandidateRelation rel(16, 4);
  torch::NoGradGuard no_grad;
  auto h = torch::randn({2, 5, 16});
  auto valid = torch::tensor({{1.0f, 1.0f, 1.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f}});
  EXPECT_TRUE(torch::equal(rel(h, valid), h));  // zero residual at the start
  rel->out->weight.normal_(0, 0.5);
  auto y = rel(h, valid);
  // Invalid candidates (and an image without any) come back unchanged.
  EXPECT_TRUE(torch::allclose(y.index({0, torch::indexing::Slice(3)}), h.index({0, torch::indexing::Slice(3)})));
  EXPECT_TRUE(torch::allclose(y[1], h[1]));
  EXPECT_FALSE(torch::allclose(y[0][0], h[0][0]));
  // What an invalid candidate holds does not reach the valid ones.
  auto h2 = h.clone();
  h2[0][4] = torch::randn({16}) * 10;
  EXPECT_TRUE(torch::allclose(rel(h2, valid)[0].slice(0, 0, 3), y[0].slice(0, 0, 3), 1e-5, 1e-6));
  // Another valid candidate does: candidate 0 sees candidate 2.
  auto h3 = h.clone();
  h3[0][2] = torch::randn({16}) * 10;
  EXPECT_FALSE(torch::allclose(rel(h3, valid)[0][0], y[0][0], 1e-4, 1e-5));
  // Order-free: permuting the candidates permutes the outputs.
  auto perm = torch::tensor({2, 0, 1, 3, 4});
  auto yp = rel(h.index_select(1, perm), valid.index_select(1, perm));
  EXPECT_TRUE(torch::allclose(yp[0], y[0].index_select(0, perm), 1e-5, 1e-6));
}

TEST(LsmsNetTest, DeterministicOnCpuWithFixedSeed) {
  ModelConfig c = Small("nano");
  auto run = [&]() {
    torch::manual_seed(7);
    LsmsNet net(c);
    net->eval();
    return net->forward(Inputs(c, 2, 5)).ref_logits;
  };
  EXPECT_TRUE(torch::equal(run(), run()));
}

TEST(LsmsNetTest, ExtractCandidatesFindsComponentsLargestFirst) {
  auto p = torch::zeros({1, 16, 16});
  p.index_put_({0, torch::indexing::Slice(1, 3), torch::indexing::Slice(1, 3)}, 0.9);    // 4 px
  p.index_put_({0, torch::indexing::Slice(8, 12), torch::indexing::Slice(8, 12)}, 0.9);  // 16 px
  auto [masks, valid] = ExtractCandidates(p, 0.5f, 3, 1);
  EXPECT_EQ(valid[0][0].item<float>(), 1.0f);
  EXPECT_EQ(valid[0][1].item<float>(), 1.0f);
  EXPECT_EQ(valid[0][2].item<float>(), 0.0f);
  EXPECT_EQ(masks[0][0].sum().item<float>(), 16.0f);
  EXPECT_EQ(masks[0][1].sum().item<float>(), 4.0f);
}

TEST(LsmsNetTest, GeometryRanksCandidatesBySize) {
  auto cand = torch::zeros({1, 3, 32, 32});
  cand.index_put_({0, 0, torch::indexing::Slice(0, 4), torch::indexing::Slice(0, 4)}, 1);      // 16
  cand.index_put_({0, 1, torch::indexing::Slice(10, 20), torch::indexing::Slice(10, 20)}, 1);  // 100
  auto valid = torch::tensor({{1.0f, 1.0f, 0.0f}});
  auto g = CandidateGeometry(cand, valid, torch::zeros({1, 32, 32}), torch::zeros({1, 3, 32, 32}),
                             torch::ones({1}));
  // Feature 2 = "largest", 6 = "smallest".
  EXPECT_EQ(g[0][1][2].item<float>(), 1.0f);
  EXPECT_EQ(g[0][0][2].item<float>(), 0.0f);
  EXPECT_EQ(g[0][0][6].item<float>(), 1.0f);
  EXPECT_EQ(g[0][2].abs().sum().item<float>(), 0.0f);  // invalid → zeros
}

TEST(LsmsNetTest, LiverFrameMeasuresFromTheLiverCentroid) {
  // A 16×16 liver at rows/cols [8, 24) of a 32 px image: centroid 0.5, radius
  // sqrt(256/π)/32 ≈ 0.2821 of the side.
  auto liver = torch::zeros({1, 32, 32});
  liver.index_put_({0, torch::indexing::Slice(8, 24), torch::indexing::Slice(8, 24)}, 1);
  auto cand = torch::zeros({1, 3, 32, 32});
  cand.index_put_({0, 0, torch::indexing::Slice(8, 10), torch::indexing::Slice(8, 10)}, 1);    // anterior, image left
  cand.index_put_({0, 1, torch::indexing::Slice(16, 18), torch::indexing::Slice(16, 18)}, 1);  // next to the centroid
  cand.index_put_({0, 2, torch::indexing::Slice(0, 2), torch::indexing::Slice(0, 2)}, 1);      // invalid
  auto valid = torch::tensor({{1.0f, 1.0f, 0.0f}});
  auto f = CandidateLiverFrame(cand, valid, liver);
  ASSERT_EQ(f.size(2), kLiverFrameFeatures);
  const double radius = std::sqrt(256.0 / M_PI) / 32.0;
  EXPECT_NEAR(f[0][0][0].item<float>(), (9.0 / 32 - 0.5) / radius, 1e-4);  // dx < 0: image left
  EXPECT_NEAR(f[0][0][1].item<float>(), (9.0 / 32 - 0.5) / radius, 1e-4);  // dy < 0: anterior
  EXPECT_NEAR(f[0][1][0].item<float>(), (17.0 / 32 - 0.5) / radius, 1e-4);
  EXPECT_NEAR(f[0][0][2].item<float>(), std::sqrt(2.0) * (0.5 - 9.0 / 32) / radius, 1e-4);
  EXPECT_EQ(f[0][1][3].item<float>(), 1.0f);  // nearest
  EXPECT_EQ(f[0][0][3].item<float>(), 0.0f);
  EXPECT_EQ(f[0][0][4].item<float>(), 1.0f);  // farthest
  EXPECT_EQ(f[0][1][4].item<float>(), 0.0f);
  EXPECT_EQ(f[0][2].abs().sum().item<float>(), 0.0f);  // invalid → zeros
  // No liver: the image centre and a radius of half the side stand in.
  auto none = CandidateLiverFrame(cand, valid, torch::zeros({1, 32, 32}));
  EXPECT_NEAR(none[0][0][0].item<float>(), (9.0 / 32 - 0.5) / 0.5, 1e-4);
}

TEST(TextEncoderTest, AFrozenPretrainedPartStaysInEvalModeAndWithoutGradients) {
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.vocab_size = 50;
  c.text_width = 64;  // a wider "pretrained" BERT, projected to text_dim
  c.text_heads = 2;
  LsmsNet net(c);
  net->text->FreezePretrained();
  net->train();
  EXPECT_TRUE(net->is_training());
  EXPECT_TRUE(net->text->is_training());
  EXPECT_FALSE(net->text->embeddings->is_training());  // no dropout in the frozen part
  EXPECT_FALSE(net->text->encoder->is_training());
  ASSERT_TRUE(net->text->proj);
  EXPECT_TRUE(net->text->proj->weight.requires_grad());
  for (const auto& p : net->text->encoder->parameters()) EXPECT_FALSE(p.requires_grad());
  // Frozen output is deterministic while training (dropout would vary it).
  auto ids = torch::randint(0, 50, {2, 7}, torch::kLong);
  auto mask = torch::ones({2, 7});
  EXPECT_TRUE(torch::equal(net->text->forward(ids, mask), net->text->forward(ids, mask)));
}

}  // namespace
}  // namespace lsms
