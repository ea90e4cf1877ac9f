// How many threads a backend may use inside one prediction ("intra-op"
// threads): XGBoost's OpenMP loop over rows and trees, OpenCV's parallel_for
// inside a DNN layer.
//
// A model server gets its parallelism from running many requests at once, one
// per server thread. A backend that also fans each small request out over every
// core makes the two thread pools fight for the same cores: on a 2-core machine
// every request then pays for waking and joining OpenMP workers that have
// nothing useful to do (docs/serving.md, "Threads", has the measurement). So
// `conveyor serve` sets this to 1 by default, while training keeps the
// libraries' defaults (all cores).
//
// The setting is process-wide, because the libraries' own knobs are: OpenCV's
// cv::setNumThreads is global, and XGBoost reads `nthread` from each booster,
// which XgboostClassifier sets at load time from BackendThreads(). Set it
// before loading models.
//
// Thread safety: both functions may be called from any thread; a change
// affects models loaded afterwards (XGBoost) and the next OpenCV parallel
// region (OpenCV).
#pragma once

namespace conveyor::ml {

// 0 restores the libraries' defaults (every core); n > 0 caps each
// prediction at n threads. Negative values are treated as 0.
void SetBackendThreads(int n);

// The current setting; 0 means "library default".
int BackendThreads();

}  // namespace conveyor::ml
