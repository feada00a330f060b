# lsms-serve — the two commands a new user needs:
#   make demo   install what the demo needs, build the server and client, run the demo
#   make test   install dependencies and test peers, build everything, run the whole test suite
BUILD ?= build
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps deps-test deps-cuda build build-demo build-cuda demo test test-cuda test-quick check-thread-safety \
        fuzz sanitize gpu-check clean

# What building and running the service needs.
deps:
	scripts/install-deps

# Plus the tests' peers: Prometheus, docker-compose and the Kubernetes schema
# check, the pretrained text encoder.
deps-test:
	scripts/install-deps --with-prometheus --with-deploy-tools --with-pretrained --with-clang

build: deps-test
	cmake --preset default -DLSMS_BUILD_TESTS=ON
	cmake --build $(BUILD) -j$$(nproc)

build-demo: deps
	cmake --preset default -DLSMS_BUILD_TESTS=OFF
	cmake --build $(BUILD) -j$$(nproc) --target lsms-server lsms-client

demo: build-demo
	scripts/demo

test: build check-thread-safety fuzz sanitize
	cd $(BUILD) && ctest --output-on-failure -j$$(nproc)

# libFuzzer targets under ASan+UBSan (clang 14, build-fuzz/), each run for
# FUZZ_SECONDS on a scratch copy of its seed corpus (tests/fuzz/corpus/).
FUZZ_SECONDS ?= 60
fuzz: deps-test
	scripts/fuzz $(FUZZ_SECONDS)

# The libtorch-free server, security, batcher and DICOM tests under ASan +
# UBSan (clang 14, build-asan/).
sanitize: deps-test
	scripts/sanitize

# clang's thread-safety analysis over the server and the batcher: every
# ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED is checked, a violation
# fails the build (g++ ignores the annotations).
check-thread-safety: deps-test
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(BUILD)-tsa -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DLSMS_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=-Wthread-safety -Werror=thread-safety"
	cmake --build $(BUILD)-tsa -j$$(nproc) --target lsms_batching lsms_server

# The same code against PyTorch's CUDA libtorch (2.11, from the Python package
# index) instead of Debian's CPU-only 1.13: every LSMS_WITH_CUDA line compiles
# and links (libtorch_cuda), and the CPU test suite passes on that libtorch
# too. Needs the CUDA toolkit (nvcc), not a GPU; CI runs it after `make test`.
deps-cuda: deps-test
	scripts/install-deps --with-cuda-torch

build-cuda: deps-cuda
	cmake --preset cuda -DLSMS_BUILD_TESTS=ON
	cmake --build build-cuda -j$$(nproc)
	@lib=$$(ldd build-cuda/server/lsms-server | grep -o 'libtorch_cuda.so => [^ ]*') && \
	  echo "build-cuda: lsms-server links $$lib" || \
	  { echo "build-cuda: lsms-server does not link libtorch_cuda" >&2; exit 1; }

test-cuda: build-cuda
	cd build-cuda && ctest --output-on-failure -j$$(nproc) -LE deploy
	scripts/gpu-check

# On a machine with an NVIDIA GPU: CUDA correctness and speed, with a report
# in benchmarks/results/ (see the script). Elsewhere it says so and exits 0.
gpu-check:
	scripts/gpu-check

# Everything but the libtorch-heavy and integration tests.
test-quick: build
	cd $(BUILD) && ctest --output-on-failure -L quick -j$$(nproc)

clean:
	rm -rf $(BUILD) build-cuda
