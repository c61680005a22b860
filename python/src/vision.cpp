// npusim.vision's core: host-side work around the NPU, the same C++ the
// command line and the examples use (docs/vision.md): YOLOv8 and BlazeFace
// decode with NMS, images as model inputs, drawing detections.
#include <pybind11/stl.h>

#include <cstring>

#include "arrays.hpp"
#include "bindings.hpp"
#include "npusim/compiler/calibration.hpp"
#include "npusim/runtime/image_input.hpp"
#include "npusim/vision/blazeface.hpp"
#include "npusim/vision/detection.hpp"
#include "npusim/vision/image_io.hpp"
#include "npusim/vision/yolov8.hpp"

namespace npusim::python {

namespace {

using vision::Box;

// Boxes as a float32 array [N, 6]: x0, y0, x1, y1 (normalised), score, class.
py::array_t<float> box_rows(const std::vector<Box>& boxes) {
  py::array_t<float> out({py::ssize_t(boxes.size()), py::ssize_t(6)});
  auto r = out.mutable_unchecked<2>();
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    const float row[6] = {b.x0, b.y0, b.x1, b.y1, b.score, float(b.cls)};
    for (int k = 0; k < 6; ++k) r(py::ssize_t(i), k) = row[k];
  }
  return out;
}

std::vector<Box> boxes_of(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& rows) {
  if (rows.ndim() != 2 || (rows.shape(1) != 5 && rows.shape(1) != 6))
    throw py::value_error(
        "boxes must be an [N, 5] or [N, 6] array (x0, y0, x1, y1, score[, class])");
  std::vector<Box> out;
  auto r = rows.unchecked<2>();
  for (py::ssize_t i = 0; i < rows.shape(0); ++i) {
    Box b{r(i, 0), r(i, 1), r(i, 2), r(i, 3), r(i, 4), rows.shape(1) == 6 ? int(r(i, 5)) : 0, {}};
    out.push_back(std::move(b));
  }
  return out;
}

compiler::TensorMap outputs_map(const py::dict& outputs) {
  return to_tensor_map(outputs, "output");
}

py::array_t<float> decode_yolov8(const py::dict& outputs, float score, float iou,
                                 size_t max_boxes) {
  const compiler::TensorMap m = outputs_map(outputs);
  vision::YoloOptions o{score, iou, max_boxes};
  std::vector<Box> boxes;
  {
    py::gil_scoped_release unlocked;
    boxes = vision::decode_yolov8(m, o);
  }
  return box_rows(boxes);
}

py::tuple decode_blazeface(const py::dict& outputs, float score, float iou, size_t max_faces) {
  const compiler::TensorMap m = outputs_map(outputs);
  vision::BlazeFaceOptions o{score, iou, max_faces};
  std::vector<Box> faces;
  {
    py::gil_scoped_release unlocked;
    faces = vision::decode_blazeface(m, o);
  }
  py::array_t<float> keypoints(
      {py::ssize_t(faces.size()), py::ssize_t(vision::kBlazeFaceKeypoints), py::ssize_t(2)});
  auto k = keypoints.mutable_unchecked<3>();
  for (size_t i = 0; i < faces.size(); ++i)
    for (size_t j = 0; j < faces[i].keypoints.size() && j < size_t(vision::kBlazeFaceKeypoints);
         ++j) {
      k(py::ssize_t(i), py::ssize_t(j), 0) = faces[i].keypoints[j].first;
      k(py::ssize_t(i), py::ssize_t(j), 1) = faces[i].keypoints[j].second;
    }
  return py::make_tuple(box_rows(faces), keypoints);
}

py::array_t<float> nms(const py::array_t<float, py::array::c_style | py::array::forcecast>& rows,
                       float iou, bool class_aware, bool weighted, size_t max_out) {
  std::vector<Box> boxes = boxes_of(rows);
  std::vector<Box> kept;
  {
    py::gil_scoped_release unlocked;
    kept = weighted      ? vision::weighted_nms(std::move(boxes), iou, max_out)
           : class_aware ? vision::class_aware_nms(std::move(boxes), iou, max_out)
                         : vision::nms(std::move(boxes), iou, max_out);
  }
  return box_rows(kept);
}

compiler::ImagePreprocess preprocess(float scale, const std::vector<float>& mean,
                                     const std::vector<float>& std_, bool letterbox,
                                     float pad_value, bool bgr, const std::string& layout) {
  compiler::ImagePreprocess pp;
  pp.scale = scale;
  pp.mean = mean;
  pp.std = std_;
  pp.letterbox = letterbox;
  pp.pad_value = pad_value;
  pp.bgr = bgr;
  pp.layout = layout;
  return pp;
}

// An image file as a float input of `shape`: (pixel * scale - mean) / std,
// stretched or letterboxed, in the layout the shape implies (docs/quantizer.md).
py::array load_image(const std::string& path, const compiler::Shape& shape, float scale,
                     const std::vector<float>& mean, const std::vector<float>& std_, bool letterbox,
                     float pad_value, bool bgr, const std::string& layout) {
  const auto pp = preprocess(scale, mean, std_, letterbox, pad_value, bgr, layout);
  compiler::Tensor t;
  {
    py::gil_scoped_release unlocked;
    t = compiler::load_image(path, shape, pp).at(0);
  }
  return to_array(std::move(t));
}

// An image file in the form a model input takes, as `npusim run -i IMAGE`
// makes it (runtime::image_input): float inputs preprocessed, uint8 inputs
// the raw pixels, int8 inputs the pixels - 128.
py::array image_input(const runtime::TensorDesc& input, const std::string& path, float scale,
                      const std::vector<float>& mean, const std::vector<float>& std_,
                      bool letterbox, float pad_value, bool bgr) {
  const auto pp = preprocess(scale, mean, std_, letterbox, pad_value, bgr, "");
  compiler::Tensor t;
  {
    py::gil_scoped_release unlocked;
    t = runtime::image_input(input, path, pp);
  }
  return to_array(std::move(t));
}

py::array read_image(const std::string& path) {
  vision::Image img;
  {
    py::gil_scoped_release unlocked;
    img = vision::read_image(path);
  }
  py::array_t<uint8_t> out({py::ssize_t(img.h), py::ssize_t(img.w), py::ssize_t(3)});
  std::memcpy(out.mutable_data(), img.rgb.data(), img.rgb.size());
  return out;
}

vision::Image image_of(const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& a) {
  if (a.ndim() != 3 || a.shape(2) != 3)
    throw py::value_error("images are uint8 arrays [height, width, 3] (RGB)");
  vision::Image img;
  img.h = int(a.shape(0));
  img.w = int(a.shape(1));
  img.rgb.assign(a.data(), a.data() + a.size());
  return img;
}

void write_png(const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& image,
               const std::string& path) {
  vision::write_png(image_of(image), path);
}

// The image with the boxes ([N, 5+] rows, normalised) drawn; a new array.
py::array draw_boxes(const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& image,
                     const py::array_t<float, py::array::c_style | py::array::forcecast>& rows,
                     const std::vector<uint8_t>& colour, int thickness) {
  if (colour.size() != 3) throw py::value_error("colour is (r, g, b)");
  vision::Image img = image_of(image);
  for (const Box& b : boxes_of(rows))
    vision::draw_box(img, b, {colour[0], colour[1], colour[2]}, thickness);
  py::array_t<uint8_t> out({py::ssize_t(img.h), py::ssize_t(img.w), py::ssize_t(3)});
  std::memcpy(out.mutable_data(), img.rgb.data(), img.rgb.size());
  return out;
}

}  // namespace

void bind_vision(py::module_& m) {
  m.def("decode_yolov8", &decode_yolov8, py::arg("outputs"), py::arg("score_threshold"),
        py::arg("iou_threshold"), py::arg("max_boxes"));
  m.def("decode_blazeface", &decode_blazeface, py::arg("outputs"), py::arg("score_threshold"),
        py::arg("iou_threshold"), py::arg("max_faces"));
  m.def("nms", &nms, py::arg("boxes"), py::arg("iou_threshold"), py::arg("class_aware"),
        py::arg("weighted"), py::arg("max_out"));
  m.def("load_image", &load_image, py::arg("path"), py::arg("shape"), py::arg("scale"),
        py::arg("mean"), py::arg("std"), py::arg("letterbox"), py::arg("pad_value"), py::arg("bgr"),
        py::arg("layout"));
  m.def("image_input", &image_input, py::arg("input"), py::arg("path"), py::arg("scale"),
        py::arg("mean"), py::arg("std"), py::arg("letterbox"), py::arg("pad_value"),
        py::arg("bgr"));
  m.def("read_image", &read_image, py::arg("path"));
  m.def("write_png", &write_png, py::arg("image"), py::arg("path"));
  m.def("draw_boxes", &draw_boxes, py::arg("image"), py::arg("boxes"), py::arg("colour"),
        py::arg("thickness"));
}

}  // namespace npusim::python
