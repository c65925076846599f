// The tour page (include/actlab/report/tour.hpp, docs/tour.md).
#include "actlab/report/tour.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/experiments.hpp"
#include "actlab/nn/model.hpp"
#include "actlab/nn/optimizer.hpp"
#include "actlab/plot/figures.hpp"
#include "actlab/reference.hpp"
#include "report/page_style.hpp"
#include "report/tour_page.hpp"

namespace actlab::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Language parse_language(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "en") return Language::kEnglish;
  if (lower == "ko") return Language::kKorean;
  throw Error(ErrorCode::kInvalidParameter,
              "--lang must be 'en' (English) or 'ko' (Korean), got '" + text + "'");
}

namespace {

using namespace detail;

std::string yes_no(const Page& pg, bool v) {
  return std::string(v ? pg.t("yes", "예") : pg.t("no", "아니요"));
}

std::string cost_text(const Page& pg, Cost c) {
  switch (c) {
    case Cost::kLow:
      return std::string(pg.t("low", "낮음"));
    case Cost::kMedium:
      return std::string(pg.t("medium", "중간"));
    case Cost::kHigh:
      return std::string(pg.t("high", "높음"));
  }
  return "?";
}

std::string params_text(const ActivationInfo& info) {
  std::string out;
  for (const ParamSpec& p : info.params) {
    if (!out.empty()) out += ", ";
    out += std::string(p.name) + "=" + num(p.default_value, "%g");
  }
  return out.empty() ? "—" : out;
}

// ---------------------------------------------------------------------------------------
// 1. Linear collapse

void section_collapse(Page& pg) {
  pg.step("linear collapse");
  const auto r = experiments::linear_collapse(pg.options().seed);
  pg.h2("nonlinearity", pg.t("1. Why nonlinearity: linear layers collapse",
                             "1. 왜 비선형성이 필요한가: 선형 층은 하나로 합쳐진다"));
  pg.p(pg.t(
      "A layer without an activation is an affine map x ↦ Wx + b, and a composition of affine "
      "maps is again affine. So a stack of linear layers, however deep, can only compute one "
      "matrix and one bias. Below, three random linear layers are multiplied out into a single "
      "W and b; on 1,000 random inputs the stack and the single map agree up to float rounding. "
      "Put a ReLU between the layers and they no longer agree: the network has become a "
      "nonlinear function, and depth starts to pay off.",
      "활성화 함수가 없는 층은 아핀 사상 x ↦ Wx + b이고, 아핀 사상을 여러 번 합성해도 다시 아핀 "
      "사상입니다. 그래서 선형 층을 아무리 깊이 쌓아도 결국 행렬 하나와 편향 하나를 계산할 "
      "뿐입니다. "
      "아래에서는 무작위 선형 층 세 개를 곱해 W와 b 하나로 합쳤습니다. 무작위 입력 1,000개에서 "
      "층을 "
      "쌓은 신경망과 합친 사상은 부동소수점 반올림 오차 안에서 똑같습니다. 층 사이에 ReLU를 넣으면 "
      "더는 같지 않습니다. 신경망이 비선형 함수가 되었고, 이제야 층을 깊게 쌓는 의미가 생깁니다."));
  std::string widths;
  for (std::size_t i = 0; i < r.widths.size(); ++i) {
    widths += (i ? " → " : "") + std::to_string(r.widths[i]);
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < r.product.size(); ++i) {
    std::vector<std::string> row{"W[" + std::to_string(i) + "]"};
    for (const double w : r.product[i]) row.push_back(num(w, "%.6f"));
    row.push_back(i < r.bias.size() ? num(r.bias[i], "%.6f") : "");
    rows.push_back(row);
  }
  std::vector<std::string> header{std::string(pg.t("layers ", "층 ")) + widths};
  for (std::size_t j = 0; j < (r.product.empty() ? 0 : r.product[0].size()); ++j) {
    header.push_back("x" + std::to_string(j + 1));
  }
  header.emplace_back("b");
  pg.table(header, rows, true);
  pg.table(
      {std::string(pg.t("network", "신경망")),
       std::string(pg.t("max |stack(x) − (Wx + b)|", "최대 |stack(x) − (Wx + b)|"))},
      {{std::string(pg.t("linear layers only", "선형 층만")), num(r.max_difference_linear, "%.2e")},
       {std::string(pg.t("ReLU between the layers", "층 사이에 ReLU")),
        num(r.max_difference_with_relu, "%.3f")}},
      true);
  pg.fix(pg.t("the linearity property written as τ(x, y) = τ(x) − τ(y).",
              "선형성을 τ(x, y) = τ(x) − τ(y)로 적었습니다."),
         pg.t("τ takes one argument: τ(x − y) = τ(x) − τ(y), together with τ(a·x) = a·τ(x).",
              "τ는 인자를 하나만 받습니다. 올바른 식은 τ(x − y) = τ(x) − τ(y)이고, "
              "τ(a·x) = a·τ(x)도 함께 성립합니다."));
  pg.end_section();
}

// ---------------------------------------------------------------------------------------
// 2. Perceptron and XOR

void section_perceptron(Page& pg) {
  pg.step("perceptron and XOR");
  const std::uint64_t seed = pg.options().seed;
  pg.h2("perceptron", pg.t("2. The perceptron and XOR", "2. 퍼셉트론과 XOR"));
  pg.p(pg.t(
      "The perceptron outputs binary_step(w·x + b): 1 once the weighted sum reaches 0, else 0. "
      "It is trained one sample at a time with the perceptron rule w += lr·(label − "
      "prediction)·x, b += lr·(label − prediction), lr 0.01, 1,000 passes, starting from weights "
      "and bias drawn from N(0, 1). AND and OR are learnt: a straight line separates their "
      "classes. XOR cannot be: no line splits {(0,1), (1,0)} from {(0,0), (1,1)}, so a single "
      "perceptron never gets all four inputs right.",
      "퍼셉트론은 binary_step(w·x + b)를 출력합니다. 가중합이 0 이상이면 1, 아니면 0입니다. "
      "가중치와 편향을 N(0, 1)에서 뽑은 뒤, 샘플 하나씩 퍼셉트론 규칙 w += lr·(정답 − 예측)·x, "
      "b += lr·(정답 − 예측)으로 학습합니다(lr 0.01, 1,000번 반복). AND와 OR는 직선 하나로 두 "
      "클래스를 나눌 수 있으므로 학습됩니다. XOR는 그렇지 않습니다. {(0,1), (1,0)}과 {(0,0), "
      "(1,1)}을 가르는 직선은 없으므로 퍼셉트론 하나로는 네 입력을 모두 맞힐 수 없습니다."));
  std::vector<std::vector<std::string>> rows;
  for (const auto gate :
       {experiments::Gate::kAnd, experiments::Gate::kOr, experiments::Gate::kXor}) {
    const auto r = experiments::train_perceptron(gate, seed);
    std::string preds;
    for (const double v : r.predictions) preds += num(v, "%.0f") + " ";
    std::string name = experiments::gate_name(gate);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    rows.push_back({name, "(" + num(r.weights[0], "%.5f") + ", " + num(r.weights[1], "%.5f") + ")",
                    num(r.bias, "%.5f"), preds, num(r.accuracy, "%.2f")});
  }
  pg.table({std::string(pg.t("gate", "게이트")), std::string(pg.t("weights w", "가중치 w")),
            std::string(pg.t("bias b", "편향 b")),
            std::string(
                pg.t("outputs on (0,0) (0,1) (1,0) (1,1)", "(0,0) (0,1) (1,0) (1,1)에 대한 출력")),
            std::string(pg.t("accuracy", "정확도"))},
           rows);
  pg.p(fill(pg.t("The seed's own XOR run ended at accuracy 0.25 with w = (−0.0131, −0.0155), "
                 "b = 0.0065; here (seed {}) the random start differs, the lesson does not.",
                 "시드 문서의 XOR 실행은 w = (−0.0131, −0.0155), b = 0.0065에서 정확도 0.25로 "
                 "끝났습니다. 여기서는(시드 {}) 출발점이 달라 숫자는 다르지만 결론은 같습니다."),
            {std::to_string(seed)}));
  pg.figure(
      plot::regions_figure(seed, true), "regions",
      pg.t("Decision regions on the 101 × 101 grid over [0, 1]², the four inputs marked by "
           "their labels. Top row: the perceptron. Below: seed 004's networks (MSE, Adam "
           "lr 0.01, 1,000 epochs): Dense(1) with no activation, Dense(1, sigmoid), "
           "Dense(2, sigmoid) → Dense(1), and a sigmoid unit given the extra feature x₁·x₂. "
           "Outputs are coloured with 0.5, the threshold, in white. Only the hidden layer "
           "and the quadratic feature can separate XOR.",
           "[0, 1]² 위 101 × 101 격자의 결정 영역과 네 입력(정답으로 표시). 맨 윗줄은 "
           "퍼셉트론, 그 아래는 시드 004의 신경망(MSE, Adam lr 0.01, 1,000 에폭)입니다: "
           "활성화 없는 Dense(1), Dense(1, sigmoid), Dense(2, sigmoid) → Dense(1), 그리고 "
           "x₁·x₂ 특성을 추가로 받는 시그모이드 유닛. 출력은 임계값 0.5를 흰색으로 칠했습니다. "
           "XOR를 가를 수 있는 것은 은닉층과 이차 특성뿐입니다."));
  pg.p(pg.t(
      "The hidden layer is the point: two sigmoid units draw two lines, and the output "
      "unit combines the two half-planes into the band that XOR needs. The seed also "
      "claims, without code, that “adding a quadratic polynomial term” solves XOR; the last "
      "row checks it: with x₁·x₂ as a third input a single sigmoid unit separates XOR, "
      "because x₁ + x₂ − 2·x₁x₂ is exactly XOR on the four corners.",
      "핵심은 은닉층입니다. 시그모이드 유닛 두 개가 직선 두 개를 긋고, 출력 유닛이 두 반평면을 "
      "합쳐 XOR에 필요한 띠 모양 영역을 만듭니다. 시드 문서는 코드 없이 “이차 다항식 항을 "
      "추가하면” XOR가 풀린다고도 말하는데, 마지막 줄이 이를 확인합니다. x₁·x₂를 세 번째 "
      "입력으로 주면 네 꼭짓점에서 x₁ + x₂ − 2·x₁x₂가 정확히 XOR이므로 시그모이드 유닛 "
      "하나로 충분합니다."));
  pg.end_section();
}

// ---------------------------------------------------------------------------------------
// 3. The activations

struct ActivationText {
  const char* name;
  const char* en;
  const char* kr;
};

// Short notes per activation; the English ones add to the catalogue's summary.
const ActivationText kActivationNotes[] = {
    {"sigmoid",
     "Squashes any input into (0, 1), so it reads as a probability: the output of a yes/no "
     "classifier. Its derivative σ(x)(1 − σ(x)) is at most 0.25 (at x = 0) and nearly 0 far "
     "from it, so deep stacks of sigmoids pass back tiny gradients.",
     "어떤 입력이든 (0, 1)로 눌러 담기 때문에 확률로 읽을 수 있어, 예/아니요 분류기의 출력에 "
     "씁니다. 도함수 σ(x)(1 − σ(x))는 x = 0에서 최대 0.25이고 0에서 멀어지면 거의 0이 되므로, "
     "시그모이드를 깊게 쌓으면 역전파되는 기울기가 아주 작아집니다."},
    {"tanh",
     "A rescaled sigmoid with outputs in (−1, 1), centred on 0, which keeps the next layer's "
     "inputs balanced. It still saturates for large |x|. In seed 001's study it was the best "
     "activation after the fully connected layer.",
     "출력이 (−1, 1)이고 0을 중심으로 하는, 크기를 바꾼 시그모이드입니다. 다음 층의 입력이 "
     "한쪽으로 치우치지 않게 해 줍니다. |x|가 크면 여전히 포화됩니다. 시드 001의 실험에서는 "
     "완전연결층 뒤의 활성화 함수로 가장 좋았습니다."},
    {"relu",
     "max(0, x): cheap, and its gradient is exactly 1 for every positive input, so it does not "
     "vanish. A unit whose input stays negative outputs 0 and gets no gradient: it can “die”.",
     "max(0, x)입니다. 계산이 싸고 양수 입력에서는 기울기가 정확히 1이라 기울기가 사라지지 "
     "않습니다. 입력이 계속 음수인 유닛은 0만 내보내고 기울기도 받지 못해 “죽을” 수 있습니다."},
    {"leaky_relu",
     "ReLU with a small slope (0.01 by default; the study also tried 0.1) for negative inputs, "
     "so no unit is ever completely cut off from the gradient.",
     "음수 입력에 작은 기울기(기본값 0.01, 실험에서는 0.1도 사용)를 준 ReLU입니다. 그래서 어떤 "
     "유닛도 기울기에서 완전히 끊기지 않습니다."},
    {"prelu",
     "Leaky ReLU whose negative slope is learnt (one scalar per layer in the study, starting at "
     "0.25). The figure uses the initial slope. PReLU after the convolutions won seed 001's "
     "study.",
     "음수 쪽 기울기를 학습하는 Leaky ReLU입니다(실험에서는 층마다 스칼라 하나, 초깃값 0.25). "
     "그림은 초깃값 기울기로 그렸습니다. 시드 001의 실험에서 합성곱 뒤의 활성화 함수로 1등을 "
     "했습니다."},
    {"elu",
     "Identity for x > 0 and α(eˣ − 1) below, a smooth curve that levels off at −α, so mean "
     "outputs sit closer to 0 than ReLU's.",
     "x > 0이면 항등 함수, 그 아래는 α(eˣ − 1)입니다. −α로 완만하게 수렴하는 매끄러운 곡선이라 "
     "출력의 평균이 ReLU보다 0에 가깝습니다."},
    {"silu",
     "x·σ(x) (Swish): smooth, and not monotonic: it dips to its minimum −0.2784645 at "
     "x = −1.2784645 before rising again.",
     "x·σ(x)(Swish)입니다. 매끄럽고 단조롭지 않습니다. x = −1.2784645에서 최솟값 −0.2784645까지 "
     "내려갔다가 다시 올라갑니다."},
    {"gelu",
     "x·Φ(x), with Φ the standard normal CDF: the input weighted by how likely it is to be "
     "larger than noise. Close to SiLU in shape; the default in Transformers.",
     "x·Φ(x)이고, Φ는 표준정규분포의 누적분포함수입니다. 입력이 잡음보다 클 확률만큼 입력에 "
     "가중치를 줍니다. 모양은 SiLU와 비슷하며 트랜스포머에서 기본으로 씁니다."},
    {"softmax",
     "Not elementwise: it turns a whole vector into probabilities that sum to 1, "
     "exp(xᵢ/T) / Σⱼ exp(xⱼ/T). So it has no f(x) curve; the figure shows it on the vector "
     "[2, 1, 0.1] at temperatures 0.5, 1 and 2. Use it for the output of a multi-class "
     "classifier. The softmax of a single value is always 1, which is why a one-output softmax "
     "classifier is stuck at chance (49.31 % in seed 001's misuse study).",
     "원소별 함수가 아닙니다. 벡터 전체를 합이 1인 확률 exp(xᵢ/T) / Σⱼ exp(xⱼ/T)로 바꿉니다. "
     "그래서 f(x) 곡선이 없고, 그림에는 벡터 [2, 1, 0.1]에 온도 0.5, 1, 2로 적용한 결과를 "
     "보였습니다. 다중 클래스 분류기의 출력에 씁니다. 값 하나의 softmax는 항상 1이므로, 출력이 "
     "하나인 softmax 분류기는 찍는 수준에 머뭅니다(시드 001의 오용 실험에서 49.31 %)."},
};

plot::Figure softmax_figure() {
  plot::Figure fig(1000, 420, 1, 3);
  fig.title("softmax([2, 1, 0.1]) at three temperatures");
  const std::vector<double> x{2, 1, 0.1};
  const std::vector<std::size_t> shape{3};
  const double temps[] = {0.5, 1, 2};
  for (std::size_t i = 0; i < 3; ++i) {
    const Activation a = Activation::parse("softmax", {{"temperature", temps[i]}});
    std::vector<double> y(3);
    reference::forward(a, shape, x, y);
    fig.panel(i)
        .title("T = " + num(temps[i], "%g"))
        .y_label(i == 0 ? "probability" : "")
        .y_range(0, 1)
        .bars({"x=2", "x=1", "x=0.1"}, y);
  }
  return fig;
}

void section_activations(Page& pg, const plot::Picture& picture, const std::string& picture_name,
                         bool real_picture) {
  pg.h2("activations", pg.t("3. The activations", "3. 활성화 함수"));
  pg.p(pg.t(
      "These are the activations of seed 001's table. Each elementwise one comes with its six "
      "panels: f and f′ on [−10, 10]; 1,000 uniform samples, mean-centred, as a histogram before "
      "and after the activation; and a picture (channel 0 / 255 minus its median) before and "
      "after. The properties below are generated from actlab's catalogue.",
      "시드 001의 표에 나온 활성화 함수들입니다. 원소별 함수마다 여섯 패널을 그렸습니다: "
      "[−10, 10]에서의 f와 f′, 평균을 뺀 균등분포 샘플 1,000개의 활성화 전후 히스토그램, 그리고 "
      "그림 한 장(채널 0 / 255에서 중앙값을 뺀 것)의 활성화 전후. 아래 성질 표는 actlab의 "
      "카탈로그에서 바로 만든 것입니다."));
  if (real_picture) {
    pg.note(
        pg.t("The picture is Fashion-MNIST test image 0, an ankle boot. Its median is 0 (the "
             "background), so its values lie in [0, 1]: activations that are the identity for "
             "positive inputs (ReLU, leaky ReLU, PReLU, ELU) leave it unchanged, while sigmoid and "
             "tanh visibly squash it.",
             "그림은 Fashion-MNIST 테스트 이미지 0번(발목 부츠)입니다. 중앙값이 0(배경)이라 값이 "
             "[0, 1]에 있으므로, 양수 입력에서 항등 함수인 활성화(ReLU, Leaky ReLU, PReLU, ELU)는 "
             "그림을 바꾸지 않고, 시그모이드와 tanh는 눈에 띄게 눌러 줍니다."));
  } else {
    pg.note(pg.t("Fashion-MNIST was not found, so the picture is a synthetic gradient.",
                 "Fashion-MNIST를 찾지 못해 그림 대신 합성한 그러데이션을 썼습니다."));
  }
  // The properties table, from the catalogue.
  std::vector<std::vector<std::string>> rows;
  for (const ActivationText& a : kActivationNotes) {
    const ActivationInfo& info = actlab::info(find_activation(a.name));
    rows.push_back({std::string(info.name), params_text(info), std::string(info.range),
                    yes_no(pg, info.zero_centred), yes_no(pg, info.monotonic),
                    yes_no(pg, info.smooth), cost_text(pg, info.cost),
                    yes_no(pg, info.has_learnable_params()),
                    info.torch.empty() ? "—" : std::string(info.torch)});
  }
  pg.table(
      {std::string(pg.t("name", "이름")), std::string(pg.t("parameters", "매개변수")),
       std::string(pg.t("range", "치역")), std::string(pg.t("zero-centred", "0 중심")),
       std::string(pg.t("monotonic", "단조")), std::string(pg.t("smooth (C¹)", "매끄러움(C¹)")),
       std::string(pg.t("cost", "계산 비용")), std::string(pg.t("learnable", "학습 가능")),
       "PyTorch"},
      rows);
  pg.p(
      pg.t("Zero-centred: f(0) = 0 and |mean|/rms of f(X) for X ~ N(0, 1) below 0.45. Cost: "
           "low = compares and multiplies, medium = one transcendental function, high = two "
           "or more.",
           "0 중심: f(0) = 0이고 X ~ N(0, 1)일 때 f(X)의 |평균|/rms가 0.45 미만. 계산 비용: "
           "낮음 = 비교와 곱셈, 중간 = 초월함수 하나, 높음 = 초월함수 둘 이상."));

  for (const ActivationText& a : kActivationNotes) {
    pg.step(std::string("activation ") + a.name);
    const ActivationInfo& info = actlab::info(find_activation(a.name));
    pg.h3(std::string("act-") + a.name, info.name);
    pg.p(pg.t(a.en, a.kr));
    pg.raw("<p class=\"formula\">f(x) = " + html_escape(info.formula) +
           "<br>f′(x) = " + html_escape(info.derivative) + "</p>\n");
    const std::string name = a.name;
    if (info.kind == Kind::kAlongDim) {
      pg.figure(softmax_figure(), "softmax",
                pg.t("softmax([2, 1, 0.1]) = [0.6590, 0.2424, 0.0986] at T = 1; a low "
                     "temperature sharpens the distribution, a high one flattens it.",
                     "T = 1에서 softmax([2, 1, 0.1]) = [0.6590, 0.2424, 0.0986]입니다. 온도가 "
                     "낮으면 분포가 뾰족해지고, 높으면 평평해집니다."));
    } else {
      const Activation act(info.id);
      pg.figure(plot::view_figure(act, picture, picture_name, pg.options().seed), "view_" + name,
                fill(pg.t("The six panels for {}.", "{}의 여섯 패널."), {act.to_string()}));
    }
    if (name == "sigmoid") {
      pg.fix(pg.t("“0.25 ≥ σ(x)”, and that the gradient vanishes inside [−6, 6].",
                  "“0.25 ≥ σ(x)”라고 하고, 기울기가 [−6, 6] 안에서 사라진다고 합니다."),
             pg.t("The bound is on the derivative: σ′(x) = σ(x)(1 − σ(x)) ≤ 0.25, while σ itself "
                  "reaches almost 1. The gradient vanishes outside [−6, 6]: σ′(6) ≈ 0.0025, "
                  "a hundred times less than σ′(0) = 0.25.",
                  "0.25라는 상한은 도함수에 대한 것입니다: σ′(x) = σ(x)(1 − σ(x)) ≤ 0.25이고, "
                  "σ 자체는 거의 1까지 올라갑니다. 기울기는 [−6, 6] 바깥에서 사라집니다: "
                  "σ′(6) ≈ 0.0025로 σ′(0) = 0.25의 100분의 1입니다."));
    } else if (name == "tanh") {
      pg.fix(pg.t("“tanh = 2·sigmoid − 1”, and a wrong range for tanh′.",
                  "“tanh = 2·sigmoid − 1”이라고 하고, tanh′의 범위를 잘못 적었습니다."),
             pg.t("The identity needs the argument doubled: tanh(x) = 2σ(2x) − 1. The derivative "
                  "tanh′(x) = 1 − tanh²(x) lies in (0, 1], with its maximum 1 at x = 0.",
                  "인자를 두 배로 해야 성립합니다: tanh(x) = 2σ(2x) − 1. 도함수 "
                  "tanh′(x) = 1 − tanh²(x)의 범위는 (0, 1]이고, x = 0에서 최댓값 1입니다."));
    } else if (name == "elu") {
      pg.fix(pg.t("ELU bends with a logarithm for negative inputs.",
                  "ELU는 음수 입력에서 로그 함수로 휜다고 합니다."),
             pg.t("It bends with an exponential: α(eˣ − 1) for x ≤ 0, approaching −α.",
                  "지수 함수로 휩니다: x ≤ 0에서 α(eˣ − 1)이고, −α에 가까워집니다."));
    }
  }
  pg.step("relu/silu/gelu comparison");
  pg.h3("compare", pg.t("ReLU, SiLU and GELU side by side", "ReLU, SiLU, GELU 비교"));
  pg.p(
      pg.t("Seed 001's comparison: SiLU and GELU are smooth versions of ReLU. They agree with "
           "it far from 0, dip slightly below 0 for negative inputs, and their derivatives pass "
           "smoothly from 0 to 1 instead of jumping at x = 0.",
           "시드 001의 비교 그림입니다. SiLU와 GELU는 ReLU를 매끄럽게 만든 함수입니다. 0에서 멀면 "
           "ReLU와 같고, 음수 입력에서 0보다 살짝 내려가며, 도함수는 x = 0에서 뛰지 않고 0에서 "
           "1로 부드럽게 넘어갑니다."));
  pg.figure(plot::compare_figure(
                {Activation::parse("relu"), Activation::parse("silu"), Activation::parse("gelu")}),
            "compare_relu_silu_gelu",
            pg.t("relu, silu and gelu on [−5, 5]: the functions (left) and their derivatives "
                 "(right).",
                 "[−5, 5]에서 relu, silu, gelu: 함수(왼쪽)와 도함수(오른쪽)."));
  pg.end_section();
}

// ---------------------------------------------------------------------------------------
// 4. The derivative lesson

void section_derivative(Page& pg) {
  pg.step("derivative lesson");
  const plot::DerivativeLesson d = plot::derivative_lesson();
  double tiny_at_0 = 0, sane_err_at_0 = 0, sane_max = 0, tiny_max = 0;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    const double e_sane = std::abs(d.sane_h[i] - d.analytic[i]);
    const double e_tiny = std::abs(d.tiny_h[i] - d.analytic[i]);
    sane_max = std::max(sane_max, e_sane);
    tiny_max = std::max(tiny_max, e_tiny);
    if (std::abs(d.x[i]) < 1e-9) {
      tiny_at_0 = d.tiny_h[i];
      sane_err_at_0 = e_sane;
    }
  }
  pg.h2("derivative", pg.t("4. Numerical derivatives and round-off", "4. 수치 미분과 반올림 오차"));
  pg.p(fill(
      pg.t("A derivative can be estimated by a forward difference (f(x + h) − f(x)) / h. A "
           "smaller h should be more accurate, but below a point round-off takes over. At x = 0 "
           "with h = 1e−15, σ(h) − σ(0) = 2.5e−16, yet doubles near 0.5 are 2⁻⁵³ ≈ 1.1e−16 apart, "
           "so the difference rounds to 2.22e−16 and the quotient is {} instead of 0.25. Over "
           "[−5, 5] the error with h = 1e−15 reaches {}. With h = 1e−6 round-off is negligible "
           "and what remains is the truncation error, about h/2·|σ″(x)|.",
           "도함수는 전진 차분 (f(x + h) − f(x)) / h로 어림할 수 있습니다. h가 작을수록 정확할 것 "
           "같지만, 어느 지점부터는 반올림 오차가 지배합니다. x = 0, h = 1e−15이면 "
           "σ(h) − σ(0) = 2.5e−16인데, 0.5 근처의 double 값 간격은 2⁻⁵³ ≈ 1.1e−16이므로 차이가 "
           "2.22e−16으로 반올림되고, 몫은 0.25가 아니라 {}이 됩니다. [−5, 5] 전체에서 "
           "h = 1e−15의 오차는 {}까지 커집니다. h = 1e−6이면 반올림 오차는 무시할 만하고, 남는 "
           "것은 약 h/2·|σ″(x)|의 절단 오차입니다."),
      {num(tiny_at_0, "%.7f"), num(tiny_max, "%.3f")}));
  pg.figure(plot::derivative_lesson_figure(), "derivative_lesson",
            pg.t("sigmoid′ on [−5, 5]: the analytic σ(1 − σ) and forward differences with "
                 "h = 1e−15 and h = 1e−6 (left); their absolute errors on a log scale (right).",
                 "[−5, 5]에서 sigmoid′: 해석적 도함수 σ(1 − σ)와 h = 1e−15, h = 1e−6의 전진 "
                 "차분(왼쪽), 그리고 절대 오차의 로그 눈금 그래프(오른쪽)."));
  pg.fix(pg.t("(our tutorial notes, EXPERIMENTS.md §4) “with h = 1e−6 the error is below 1e−8”.",
              "(튜토리얼 정리 노트 EXPERIMENTS.md §4) “h = 1e−6이면 오차가 1e−8 미만”."),
         fill(pg.t("That holds only near x = 0, where σ″ = 0 (error {} there). The maximum over "
                   "[−5, 5] is {}, near x ≈ ±1.3 where |σ″| is largest.",
                   "σ″ = 0인 x = 0 근처에서만 맞습니다(그곳의 오차 {}). [−5, 5] 전체의 최대 오차는 "
                   "{}이고, |σ″|가 가장 큰 x ≈ ±1.3 근처에서 나옵니다."),
              {num(sane_err_at_0, "%.1e"), num(sane_max, "%.1e")}));
  pg.end_section();
}

// ---------------------------------------------------------------------------------------
// 5. x² approximation

void section_approx(Page& pg) {
  pg.step("x² approximation (5 seeds)");
  const std::uint64_t first = pg.options().seed;
  pg.h2("approx", pg.t("5. ReLU networks approximating x²", "5. ReLU 신경망으로 x² 근사하기"));
  pg.p(pg.t(
      "Seed 004 fits y = x² + 10·N(0, 1) on [−10, 10] (2,001 points) with two ReLU networks of "
      "19 parameters each: six ReLUs side by side (parallel, Dense(6, relu) → Dense(1)) or three "
      "layers of two (serial, 3 × Dense(2, relu) → Dense(1)); Adam lr 0.005, batch 32, 100 "
      "epochs, MSE. A ReLU network is piecewise linear, so it draws the parabola with straight "
      "pieces. The noise alone leaves an MSE near 100.",
      "시드 004는 [−10, 10]의 점 2,001개에서 y = x² + 10·N(0, 1)을 매개변수 19개짜리 ReLU 신경망 "
      "두 개로 맞춥니다: ReLU 여섯 개를 나란히 둔 병렬 구조(Dense(6, relu) → Dense(1))와 두 개씩 "
      "세 층으로 쌓은 직렬 구조(3 × Dense(2, relu) → Dense(1))입니다. Adam lr 0.005, 배치 32, "
      "100 에폭, MSE. ReLU 신경망은 조각별 선형 함수이므로 포물선을 직선 조각으로 그립니다. "
      "잡음만으로도 MSE가 100 정도 남습니다."));
  std::vector<std::vector<std::string>> rows;
  std::uint64_t best = first, dead = 0;
  double best_mse = 1e300, worst_serial = 0;
  for (std::uint64_t s = first; s < first + 5; ++s) {
    const auto r = experiments::approximate_square(s);
    rows.push_back({std::to_string(s), num(r.parallel_mse, "%.1f"), num(r.serial_mse, "%.1f")});
    if (r.parallel_mse < best_mse) {
      best_mse = r.parallel_mse;
      best = s;
    }
    if (r.serial_mse > worst_serial) {
      worst_serial = r.serial_mse;
      dead = s;
    }
  }
  pg.table({std::string(pg.t("seed", "시드")), std::string(pg.t("parallel MSE", "병렬 MSE")),
            std::string(pg.t("serial MSE", "직렬 MSE"))},
           rows, true);
  pg.fix(pg.t("the parallel network fits more smoothly — stated as if it always did.",
              "병렬 신경망이 더 매끄럽게 맞는다고, 늘 그런 것처럼 말합니다."),
         pg.t("Often, not always. A ReLU unit whose input is negative for every x outputs 0 and "
              "receives zero gradient, so it never recovers: it has died. The narrow serial stack "
              "easily loses its only path and predicts a flat line (an MSE near 1,050 is the "
              "variance of the targets), and an unlucky start can cripple the parallel network "
              "too. Compare a few seeds before concluding anything.",
              "자주 그렇지만 항상은 아닙니다. 모든 x에서 입력이 음수인 ReLU 유닛은 0만 출력하고 "
              "기울기도 0이라 다시 살아나지 못합니다. 즉 죽은 유닛이 됩니다. 폭이 좁은 직렬 구조는 "
              "하나뿐인 경로를 쉽게 잃고 수평선을 예측하며(MSE 약 1,050은 타깃의 분산입니다), 운 "
              "나쁜 초기값이면 병렬 신경망도 망가질 수 있습니다. 결론을 내리기 전에 시드 몇 개를 "
              "비교해 보세요."));
  pg.figure(plot::approx_figure(best), "approx_seed" + std::to_string(best),
            fill(pg.t("Seed {} (the best parallel fit of the five): the noisy targets, x², and "
                      "both networks' curves.",
                      "시드 {}(다섯 개 중 병렬 신경망이 가장 잘 맞은 경우): 잡음 섞인 타깃, x², "
                      "두 신경망의 곡선."),
                 {std::to_string(best)}));
  if (dead != best && worst_serial > 900) {
    pg.figure(plot::approx_figure(dead), "approx_seed" + std::to_string(dead),
              fill(pg.t("Seed {}: the serial network's units died and it predicts a flat line.",
                        "시드 {}: 직렬 신경망의 유닛이 죽어 수평선을 예측합니다."),
                   {std::to_string(dead)}));
  }
  pg.end_section();
}

// ---------------------------------------------------------------------------------------
// 6. CNN training

void section_cnn(Page& pg) {
  const TourOptions& o = pg.options();
  pg.h2("cnn",
        pg.t("6. Training a small CNN on Fashion-MNIST", "6. Fashion-MNIST로 작은 CNN 학습하기"));
  data::SplitSizes sizes;
  std::size_t epochs = 10;
  if (o.quick) {
    sizes = {300, 200, 200, 300};
    epochs = 2;
  } else {
    sizes = {3000, 1000, 1000, 2000};
  }
  const double lr = 0.001988;
  const std::string spec = nn::Sequential::seed_cnn_spec("prelu", "tanh");
  pg.p(fill(
      pg.t("Seed 001's CNN (three 3×3 convolutions with max pooling, then 1024 → 64 → 10) with "
           "the study's best pair: PReLU after the convolutions and tanh after the 1024 → 64 "
           "layer; AdamW lr {}, weight decay 0.01, batch 32. To finish in well under a minute it "
           "trains on a small split of Fashion-MNIST — {} training, {} validation, {} "
           "held-out and {} test images — for {} epochs, keeping the weights of the best "
           "validation epoch. The study itself used 3,000 / 2,000 / 5,000 MNIST images with "
           "early stopping and reached 98.02 % on MNIST's test set; expect less here: fewer "
           "images, fewer epochs, and clothes are harder than digits.",
           "시드 001의 CNN(3×3 합성곱 세 개와 최대 풀링, 이어서 1024 → 64 → 10)에 실험에서 가장 "
           "좋았던 조합을 넣었습니다: 합성곱 뒤에 PReLU, 1024 → 64 층 뒤에 tanh. AdamW lr {}, "
           "가중치 감쇠 0.01, 배치 32. 1분 안에 끝나도록 Fashion-MNIST의 작은 분할(학습 {}장, "
           "검증 {}장, 별도 평가 {}장, 테스트 {}장)로 {} 에폭만 학습하고, 검증 정확도가 가장 좋은 "
           "에폭의 가중치를 남깁니다. 원래 실험은 MNIST 3,000 / 2,000 / 5,000장과 조기 종료로 "
           "MNIST 테스트 정확도 98.02 %에 도달했습니다. 여기서는 그보다 낮게 나옵니다. 이미지와 "
           "에폭이 적고, 옷 사진은 숫자보다 어렵기 때문입니다."),
      {num(lr, "%g"), std::to_string(sizes.train), std::to_string(sizes.epoch_validation),
       std::to_string(sizes.trial_validation), std::to_string(sizes.test),
       std::to_string(epochs)}));
  pg.fix(
      pg.t("its results table names relu as the best fully connected activation; its code "
           "feeds softmax outputs into CrossEntropyLoss.",
           "결과 표에 완전연결층의 최고 활성화 함수를 relu로 적었고, 코드는 softmax 출력을 "
           "CrossEntropyLoss에 넣습니다."),
      pg.t("The best trial used tanh after the fully connected layer (conv prelu, lr 0.001988, "
           "test 98.02 %). CrossEntropyLoss applies log-softmax itself, so softmax ran twice "
           "and the loss could not fall below log(e + 9) − 1 = 1.4612 for 10 classes (the "
           "logged losses ≈ 1.69 show it). The right form, used here, feeds the logits into "
           "cross-entropy.",
           "최고 시행은 완전연결층 뒤에 tanh를 썼습니다(합성곱 prelu, lr 0.001988, 테스트 "
           "98.02 %). CrossEntropyLoss는 내부에서 log-softmax를 적용하므로 softmax가 두 번 "
           "적용되어, 10개 클래스에서 손실이 log(e + 9) − 1 = 1.4612 아래로 내려갈 수 "
           "없었습니다(기록된 손실 ≈ 1.69가 그 흔적입니다). 여기서 쓴 올바른 방법은 로짓을 그대로 "
           "교차 엔트로피에 넣는 것입니다."));
  data::StudyData d;
  try {
    pg.step("loading " + o.data);
    d = data::load_study_data(o.data, data::kStudySeed, sizes);
  } catch (const Error& e) {
    pg.note(fill(pg.t("This run was skipped: the data could not be read ({}). Install Debian's "
                      "dataset-fashion-mnist package (scripts/setup.sh does).",
                      "데이터를 읽지 못해 이 실행을 건너뛰었습니다({}). 데비안의 "
                      "dataset-fashion-mnist 패키지를 설치하세요(scripts/setup.sh가 설치합니다)."),
                 {e.what()}));
    pg.end_section();
    return;
  }
  nn::Sequential model = nn::Sequential::from_spec(spec, data::kStudySeed);
  nn::AdamOptions adam;
  adam.lr = lr;
  adam.weight_decay = 0.01;
  auto optimizer = nn::make_adamw(model.parameters(), adam);
  nn::TrainOptions options;
  options.max_epochs = epochs;
  options.patience = epochs;  // a fixed number of epochs; the best one is restored
  options.shuffle_seed = data::kStudySeed;
  const auto start = std::chrono::steady_clock::now();
  const nn::TrainResult result =
      nn::fit(model, *optimizer, {&d.train.images, &d.train.labels},
              {&d.epoch_validation.images, &d.epoch_validation.labels}, options,
              [&](const nn::EpochRecord& r) {
                pg.step("CNN epoch " + std::to_string(r.epoch) + "/" + std::to_string(epochs) +
                        ": validation accuracy " + num(r.validation_accuracy, "%.4f"));
                return true;
              });
  const double train_seconds = seconds_since(start);
  const nn::Evaluation held =
      nn::evaluate(model, {&d.trial_validation.images, &d.trial_validation.labels}, options);
  const nn::Evaluation test = nn::evaluate(model, {&d.test.images, &d.test.labels}, options);
  pg.figure(plot::training_figure(result, "seed CNN, conv prelu / fc tanh, Fashion-MNIST"),
            "training",
            pg.t("Loss (left) and accuracy (right) per epoch on the training and validation "
                 "images; the dashed line marks the best validation epoch, whose weights are kept.",
                 "에폭별 학습·검증 손실(왼쪽)과 정확도(오른쪽). 점선은 검증 정확도가 가장 좋은 "
                 "에폭이며, 그 가중치를 남깁니다."));
  std::vector<std::vector<std::string>> rows;
  for (const nn::EpochRecord& r : result.history) {
    rows.push_back({std::to_string(r.epoch) + (r.epoch == result.best_epoch ? " *" : ""),
                    num(r.train_loss, "%.4f"), num(r.train_accuracy, "%.4f"),
                    num(r.validation_loss, "%.4f"), num(r.validation_accuracy, "%.4f"),
                    num(r.seconds, "%.1f")});
  }
  pg.table(
      {std::string(pg.t("epoch", "에폭")), std::string(pg.t("train loss", "학습 손실")),
       std::string(pg.t("train accuracy", "학습 정확도")),
       std::string(pg.t("validation loss", "검증 손실")),
       std::string(pg.t("validation accuracy", "검증 정확도")), std::string(pg.t("seconds", "초"))},
      rows, true);
  pg.p(fill(
      pg.t("{} parameters. With the weights of epoch {}: held-out accuracy {}, test "
           "accuracy {} on {} test images. Training took {} s. Run actlab train for the "
           "full study setting.",
           "매개변수 {}개. {}번째 에폭의 가중치로 별도 평가 정확도 {}, 테스트 이미지 {}장의 "
           "테스트 정확도 {}입니다. 학습에 {}초 걸렸습니다. 원래 실험 설정으로 돌리려면 "
           "actlab train을 실행하세요."),
      pg.ko() ? std::vector<std::string>{std::to_string(model.parameter_count()),
                                         std::to_string(result.best_epoch),
                                         num(held.accuracy, "%.4f"), std::to_string(d.test.size()),
                                         num(test.accuracy, "%.4f"), num(train_seconds, "%.1f")}
              : std::vector<std::string>{
                    std::to_string(model.parameter_count()), std::to_string(result.best_epoch),
                    num(held.accuracy, "%.4f"), num(test.accuracy, "%.4f"),
                    std::to_string(d.test.size()), num(train_seconds, "%.1f")}));
  pg.end_section();
}

plot::Picture synthetic_picture() {
  plot::Picture pic;
  pic.width = pic.height = 28;
  pic.channels = 1;
  pic.pixels.resize(28 * 28);
  for (std::size_t r = 0; r < 28; ++r) {
    for (std::size_t c = 0; c < 28; ++c) {
      pic.pixels[r * 28 + c] = static_cast<std::uint8_t>((r + c) * 255 / 54);
    }
  }
  return pic;
}

// The tour's own rules, after the shared ones (report/page_style.hpp).
const char* kTourStyle = R"(
.formula{font-family:"DejaVu Sans Mono",monospace;font-size:.92em;background:#f7f9fb;border-left:3px solid #9fb3c8;padding:6px 12px}
.fix{border-left:4px solid #d9822b;background:#fff7ed;padding:4px 14px;margin:12px 0;border-radius:0 6px 6px 0}
.fix-title{font-weight:bold;color:#a4500f;margin-top:6px}
.fix p{margin:.3em 0}
)";

}  // namespace

TourResult write_tour(const TourOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path dir(options.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw Error(ErrorCode::kIo, "tour: cannot create the folder '" + options.out_dir + "'" +
                                    (ec ? ": " + ec.message() : ""));
  }
  const fs::path page_path = dir / "index.html";
  {
    // Fail before the long work when the folder is not writable.
    std::ofstream probe(page_path, std::ios::binary | std::ios::trunc);
    if (!probe) {
      throw Error(ErrorCode::kIo,
                  "tour: cannot write '" + page_path.string() + "' (is the folder writable?)");
    }
  }

  Page pg(options, dir);
  plot::Picture picture;
  std::string picture_name = "Fashion-MNIST test 0";
  bool real_picture = true;
  try {
    picture = plot::fashion_mnist_picture(options.data, 0);
  } catch (const Error&) {
    picture = synthetic_picture();
    picture_name = "gradient";
    real_picture = false;
  }

  section_collapse(pg);
  section_perceptron(pg);
  section_activations(pg, picture, picture_name, real_picture);
  section_derivative(pg);
  section_approx(pg);
  section_cnn(pg);
  section_study(pg);

  const double seconds = seconds_since(start);
  std::string html;
  html += std::string("<!DOCTYPE html>\n<html lang=\"") + (pg.ko() ? "ko" : "en") +
          "\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
          html_escape(pg.t("actlab tour: activation functions in pictures",
                           "actlab 둘러보기: 그림으로 보는 활성화 함수")) +
          "</title>\n<style>" + std::string(kBaseStyle) + kTourStyle +
          "</style>\n</head>\n<body>\n<main>\n<h1>" +
          html_escape(pg.t("Activation functions, in pictures", "그림으로 보는 활성화 함수")) +
          "</h1>\n";
  html += "<p class=\"lead\">" +
          html_escape(fill(
              pg.t("A tour of the tutorials behind actlab, in order. Every number and figure on "
                   "this page was computed just now by actlab itself (seed {}). Where the "
                   "original tutorials — the seeds — got something wrong, an orange box says what "
                   "they wrote and what is right.",
                   "actlab의 바탕이 된 튜토리얼을 순서대로 둘러봅니다. 이 페이지의 숫자와 그림은 "
                   "모두 방금 actlab이 직접 계산한 것입니다(시드 {}). 원래 튜토리얼(시드 문서)에 "
                   "틀린 곳이 있으면 주황색 상자에 원문과 올바른 내용을 적었습니다."),
              {std::to_string(options.seed)})) +
          "</p>\n<nav><b>" + html_escape(pg.t("Contents", "차례")) + "</b><ol>\n";
  for (const auto& [id, title] : pg.toc()) {
    std::string shown = title;
    const auto dot = shown.find(". ");
    if (dot != std::string::npos && dot < 3) shown = shown.substr(dot + 2);
    html += "<li><a href=\"#" + html_escape(id) + "\">" + html_escape(shown) + "</a></li>\n";
  }
  html += "</ol></nav>\n" + pg.body();
  html += "<footer>" +
          html_escape(fill(pg.t("Generated by actlab tour in {} s (seed {}{}). Figures drawn "
                                "with Cairo; the page needs nothing beyond this folder.",
                                "actlab tour가 {}초 만에 만들었습니다(시드 {}{}). 그림은 Cairo로 "
                                "그렸고, 이 페이지는 이 폴더 밖의 어떤 파일도 필요하지 않습니다."),
                           {num(seconds, "%.1f"), std::to_string(options.seed),
                            options.quick ? ", --quick" : ""})) +
          "</footer>\n</main>\n</body>\n</html>\n";

  std::ofstream out(page_path, std::ios::binary | std::ios::trunc);
  out << html;
  out.close();
  if (!out) throw Error(ErrorCode::kIo, "tour: cannot write '" + page_path.string() + "'");
  return {page_path.string(), pg.images(), seconds_since(start)};
}

}  // namespace actlab::report
