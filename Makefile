# lsms-serve — the two commands a new user needs:
#   make demo   install what the demo needs, build the server and client, run the demo
#   make test   install dependencies and test peers, build everything, run the whole test suite
BUILD ?= build
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps deps-test build build-demo demo test test-quick clean

# What building and running the service needs.
deps:
	scripts/install-deps

# Plus the tests' peers: Prometheus, docker-compose and the Kubernetes schema
# check, the pretrained text encoder.
deps-test:
	scripts/install-deps --with-prometheus --with-deploy-tools --with-pretrained

build: deps-test
	cmake --preset default -DLSMS_BUILD_TESTS=ON
	cmake --build $(BUILD) -j$$(nproc)

build-demo: deps
	cmake --preset default -DLSMS_BUILD_TESTS=OFF
	cmake --build $(BUILD) -j$$(nproc) --target lsms-server lsms-client

demo: build-demo
	scripts/demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j$$(nproc)

# Everything but the libtorch-heavy and integration tests.
test-quick: build
	cd $(BUILD) && ctest --output-on-failure -L quick -j$$(nproc)

clean:
	rm -rf $(BUILD)
