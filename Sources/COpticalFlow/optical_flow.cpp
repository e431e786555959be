// The only file that touches OpenCV (see include/optical_flow.h).
#include "optical_flow.h"

#include <cstring>
#include <exception>
#include <new>

#include <opencv2/core.hpp>
#include <opencv2/core/version.hpp>
#include <opencv2/video/tracking.hpp>

namespace {
void write_error(char *error, int32_t capacity, const char *message) {
    if (error == nullptr || capacity <= 0) return;
    std::strncpy(error, message, static_cast<size_t>(capacity - 1));
    error[capacity - 1] = '\0';
}
}  // namespace

extern "C" sf_flow_status sf_dis_flow(const uint8_t *from, const uint8_t *to, int32_t width, int32_t height,
                                      int32_t preset, float *flow, char *error, int32_t error_capacity) {
    if (from == nullptr || to == nullptr || flow == nullptr || width <= 0 || height <= 0) {
        write_error(error, error_capacity, "null buffer or non-positive size");
        return SF_FLOW_BAD_ARGUMENT;
    }
    int cvPreset;
    switch (preset) {
    case SF_DIS_ULTRAFAST: cvPreset = cv::DISOpticalFlow::PRESET_ULTRAFAST; break;
    case SF_DIS_FAST: cvPreset = cv::DISOpticalFlow::PRESET_FAST; break;
    case SF_DIS_MEDIUM: cvPreset = cv::DISOpticalFlow::PRESET_MEDIUM; break;
    default:
        write_error(error, error_capacity, "unknown DIS preset");
        return SF_FLOW_BAD_ARGUMENT;
    }
    try {
        // The Mats wrap the caller's buffers: no copies in, OpenCV writes the flow in place.
        const cv::Mat a(height, width, CV_8UC1, const_cast<uint8_t *>(from));
        const cv::Mat b(height, width, CV_8UC1, const_cast<uint8_t *>(to));
        cv::Mat out(height, width, CV_32FC2, flow);
        cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cvPreset);
        cv::Mat result;
        dis->calc(a, b, result);
        if (result.rows != height || result.cols != width || result.type() != CV_32FC2) {
            write_error(error, error_capacity, "DIS returned a flow of unexpected shape or type");
            return SF_FLOW_OPENCV_ERROR;
        }
        result.copyTo(out);
        return SF_FLOW_OK;
    } catch (const std::bad_alloc &) {
        write_error(error, error_capacity, "out of memory");
        return SF_FLOW_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, e.what());
        return SF_FLOW_OPENCV_ERROR;
    } catch (...) {
        write_error(error, error_capacity, "unknown C++ exception");
        return SF_FLOW_OPENCV_ERROR;
    }
}

extern "C" void sf_set_flow_threads(int32_t n) {
    try {
        // cv::setNumThreads: a negative value resets to the default; 0 would mean "no parallelism".
        cv::setNumThreads(n <= 0 ? -1 : static_cast<int>(n));
    } catch (...) {
        // Setting a thread count never fails in practice; there is nothing useful to report.
    }
}

extern "C" int32_t sf_flow_threads(void) { return static_cast<int32_t>(cv::getNumThreads()); }

extern "C" const char *sf_opencv_version(void) { return CV_VERSION; }
