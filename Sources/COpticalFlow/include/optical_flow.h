// C interface to OpenCV's DIS optical flow (Kroeger, Timofte, Dai & Van Gool, "Fast Optical Flow using
// Dense Inverse Search", ECCV 2016), so that Swift never sees C++ or OpenCV types. Every OpenCV call
// (and every C++ exception it may throw) stays inside optical_flow.cpp.
#ifndef STYLEFARM_OPTICAL_FLOW_H
#define STYLEFARM_OPTICAL_FLOW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of sf_dis_flow.
typedef enum {
    SF_FLOW_OK = 0,
    SF_FLOW_BAD_ARGUMENT = 1, ///< null pointer, non-positive size or unknown preset
    SF_FLOW_OPENCV_ERROR = 2, ///< OpenCV threw; the message is in `error` (if given)
    SF_FLOW_OUT_OF_MEMORY = 3
} sf_flow_status;

/// DIS presets, as cv::DISOpticalFlow::PRESET_ULTRAFAST/FAST/MEDIUM.
enum { SF_DIS_ULTRAFAST = 0, SF_DIS_FAST = 1, SF_DIS_MEDIUM = 2 };

/// Dense flow from `from` to `to` (8-bit gray, row-major, `width`×`height`, no padding): writes
/// interleaved float32 (u, v) per pixel to `flow` (2·width·height floats), so that pixel (x, y) of
/// `from` corresponds to (x + u, y + v) in `to`. `error` (optional) receives a NUL-terminated message
/// of at most `error_capacity` bytes when the result is not SF_FLOW_OK.
sf_flow_status sf_dis_flow(const uint8_t *from, const uint8_t *to, int32_t width, int32_t height,
                           int32_t preset, float *flow, char *error, int32_t error_capacity);

/// Sets the number of threads OpenCV's parallel loops (DIS included) use, process-wide
/// (cv::setNumThreads). `n` <= 0 restores OpenCV's default (one thread per core).
void sf_set_flow_threads(int32_t n);

/// The number of threads OpenCV's parallel loops use (cv::getNumThreads), to check sf_set_flow_threads.
int32_t sf_flow_threads(void);

/// OpenCV's version string (CV_VERSION), for benchmarks and diagnostics.
const char *sf_opencv_version(void);

#ifdef __cplusplus
}
#endif

#endif
