# lsms-serve — the two commands a new user needs:
#   make demo   install dependencies, build, run the demo
#   make test   install dependencies, build, run the whole test suite
BUILD ?= build
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps build demo test test-quick clean

deps:
	scripts/install-deps --with-prometheus --with-deploy-tools --with-pretrained

build: deps
	cmake --preset default -DLSMS_BUILD_TESTS=ON
	cmake --build $(BUILD) -j$$(nproc)

demo: build
	scripts/demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j$$(nproc)

# Everything but the libtorch-heavy and integration tests.
test-quick: build
	cd $(BUILD) && ctest --output-on-failure -L quick -j$$(nproc)

clean:
	rm -rf $(BUILD)
