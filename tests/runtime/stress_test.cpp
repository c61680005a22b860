// 10,000 requests through the queue with 8 workers on two PEs: every
// request gets exactly one result, carrying its own context and the outputs
// of its own input. Runs under ASan+UBSan in CI (scripts/test.sh --sanitize).
#include <gtest/gtest.h>

#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

TEST_F(RuntimeTest, TenThousandQueuedRequestsEachGetExactlyTheirOwnResult) {
  constexpr int kRequests = 10'000, kDistinct = 16;
  std::vector<Tensor> inputs;
  std::vector<std::vector<uint8_t>> want;
  for (int i = 0; i < kDistinct; ++i) {
    inputs.push_back(random_input({1, 8, 16, 16}, 700 + i));
    want.push_back(expected(inputs.back())[0].raw());
  }
  runtime::RunnerOptions o = options("npu0pe0,npu0pe1", 8);
  o.input_queue_size = 32;
  auto [submitter, receiver] = runtime::create_queue(compiled(), o);
  std::thread producer([&, &submitter = submitter] {
    for (int i = 0; i < kRequests; ++i) submitter.submit({inputs[i % kDistinct]}, i);
    submitter.close();
  });
  std::vector<int> seen(kRequests, 0);
  int received = 0, wrong = 0;
  while (auto item = receiver.recv(std::chrono::seconds(60))) {
    const int i = std::any_cast<int>(item->first);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kRequests);
    ++seen[i];
    ++received;
    wrong += item->second.outputs.at(0).raw() != want[i % kDistinct];
  }
  producer.join();
  EXPECT_EQ(received, kRequests);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), kRequests);  // each exactly once
  const runtime::SessionStats s = receiver.stats();
  EXPECT_EQ(s.requests, uint64_t(kRequests));
  EXPECT_EQ(s.failed, 0u);
}

}  // namespace
}  // namespace npusim::testing
