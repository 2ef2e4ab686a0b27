# test_maps sized for make check under QEMU TCG, built with the
# selftests' own flags and objects: read after their Makefile,
#   make -C tools/testing/selftests/bpf -f Makefile -f THIS ... test_maps_tcg
# (scripts/bpf-selftests.sh). Its TRUNNER_* variables are then test_maps'
# (the last test runner the Makefile defines).
#
# The same test_maps.c, every step of it, with four numbers made smaller:
# MAP_SIZE 32768 -> 4096 (test_map_large, test_map_parallel and the
# read-only/write-only maps), TASKS 100 -> 10 (test_map_parallel's forked
# writers), test_map_parallel's 6 rounds of parallel updates and deletes
# -> 2, and test_map_stress's 100 forked tasks per step -> 10. Unsized,
# test_maps did not finish in 40 minutes on this machine's 2 vCPUs; make
# check-bpf-ci runs the unsized test_maps.
TCG_MK := $(lastword $(MAKEFILE_LIST))
TCG_DIR := $(OUTPUT)/tcg
ifneq ($(TRUNNER_BINARY),test_maps)
$(error $(TCG_MK): the selftests' Makefile no longer defines test_maps last)
endif

# Each edit must match as many lines as it should (test_map_stress has six
# run_parallel(100, ...)), and nine lines must change in all: else upstream
# changed test_maps.c, and the build fails rather than run a test of
# unknown size.
$(TCG_DIR)/test_maps.c: test_maps.c $(TCG_MK)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@.tmp
	$(Q)edit() { \
		n=$$(sed -n "$${1}p" $@.tmp | wc -l); \
		[ "$$n" = "$$2" ] || { echo "$(TCG_MK): $$1 matches $$n lines, not $$2" >&2; exit 1; }; \
		sed -i "$$1" $@.tmp; \
	}; \
	edit 's/^#define MAP_SIZE (32 \* 1024)$$/#define MAP_SIZE (4 * 1024)/' 1; \
	edit 's/^#define TASKS 100$$/#define TASKS 10/' 1; \
	edit 's/^\tif (j++ < 5)$$/\tif (j++ < 1)/' 1; \
	edit 's/^\trun_parallel(100, /\trun_parallel(10, /' 6
	$(Q)n=$$(diff $< $@.tmp | grep -c '^>'); [ "$$n" = 9 ] || \
		{ echo "$(TCG_MK): $$n lines of test_maps.c changed, not 9" >&2; exit 1; }
	$(Q)mv $@.tmp $@

# test_maps.o's rule, on the sized copy (test_maps.h and map_tests/tests.h
# are found through -I$(CURDIR))
$(TCG_DIR)/test_maps.o: $(TCG_DIR)/test_maps.c $(OUTPUT)/test_maps.o
	$(call msg,EXT-OBJ,test_maps_tcg,$@)
	$(Q)$(CC) $(CFLAGS) -c $< $(LDLIBS) -o $@

# test_maps' link, with the sized test_maps.o
$(OUTPUT)/test_maps_tcg: $(TCG_DIR)/test_maps.o $(OUTPUT)/test_maps
	$(call msg,BINARY,,$@)
	$(Q)$(CC) $(CFLAGS) $(filter %.a %.o,$(TRUNNER_TEST_OBJS) $(TRUNNER_LIB_OBJS)) \
		$< $(BPFOBJ) $(TESTING_HELPERS) $(LDLIBS) $(LDFLAGS) -o $@

.PHONY: test_maps_tcg
test_maps_tcg: $(OUTPUT)/test_maps_tcg
