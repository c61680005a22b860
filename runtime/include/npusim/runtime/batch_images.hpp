// A batched request's tensors image by image: a program compiled with
// --batch N runs its NPU segments on all N images at once, but its CPU
// segments hold one image's graph (constants such as Reshape targets are
// one image's), so the runtime runs them once per image.
#pragma once

#include <cstdint>
#include <vector>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/tensor.hpp"

namespace npusim::runtime {

// How many images of a batch of `batch` the CPU graph `g` takes at once:
// 1 when its inputs hold one image (leading dim 1) and the batch is larger,
// else the whole batch (a graph compiled as it was, already batched).
int64_t images_per_run(const compiler::Graph& g, int batch);

// Image `i` of `t` (its leading dim), as a tensor of leading dim 1.
compiler::Tensor image_of(const compiler::Tensor& t, int64_t i);
// The images stacked along a new leading dim of their count (each leads with 1).
compiler::Tensor stack_images(const std::vector<compiler::Tensor>& images);

// Runs `g` once per image of `inputs` (each leading with `batch`) and
// stacks the outputs: what compiler::execute gives for one image, `batch` times.
compiler::TensorMap execute_per_image(const compiler::Graph& g, const compiler::TensorMap& inputs,
                                      int batch);

}  // namespace npusim::runtime
