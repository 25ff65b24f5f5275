# tools/completion/completion.mk - build fragment (see Makefile.am): bash completion for every tool
# One file serves all six tools; bash-completion loads a completion by the
# command's name, so it is installed under each name (links to the first).
vkit_completion_links = vclone vctl vtop vdf vrun
EXTRA_DIST += tools/completion/vkit.bash
if BASH_COMPLETION
install-data-local: install-bash-completion
uninstall-local: uninstall-bash-completion
endif
install-bash-completion:
	$(MKDIR_P) '$(DESTDIR)$(bashcompletiondir)'
	$(INSTALL_DATA) $(srcdir)/tools/completion/vkit.bash '$(DESTDIR)$(bashcompletiondir)/vinstall'
	for name in $(vkit_completion_links); do \
		rm -f '$(DESTDIR)$(bashcompletiondir)'/$$name && \
		$(LN_S) vinstall '$(DESTDIR)$(bashcompletiondir)'/$$name || exit 1; \
	done
uninstall-bash-completion:
	for name in vinstall $(vkit_completion_links); do rm -f '$(DESTDIR)$(bashcompletiondir)'/$$name; done
.PHONY: install-bash-completion uninstall-bash-completion

# Every option each tool's --help lists is completed, against a state
# directory with two VMs and a network.
TESTS += tests/tools/completion.sh
dist_noinst_SCRIPTS += tests/tools/completion.sh
tests/tools/completion.log: tools/vinstall tools/vclone tools/vctl tools/vtop tools/vdf vmm/vrun
