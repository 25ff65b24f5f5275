# templates/templates.mk - build fragment (see Makefile.am); owned by the templates area
templatesdir = $(pkgdatadir)/templates
dist_templates_DATA = \
	templates/almalinux8.json templates/almalinux9.json templates/alpine.json \
	templates/centos7.json templates/centos8.json \
	templates/debian10.json templates/debian11.json templates/debian12.json \
	templates/fedora.json templates/linux.json templates/opensuse.json \
	templates/rhel6.json templates/rhel7.json templates/rhel8.json templates/rhel9.json \
	templates/rocky8.json templates/rocky9.json \
	templates/ubuntu18.04.json templates/ubuntu20.04.json templates/ubuntu22.04.json \
	templates/ubuntu24.04.json \
	templates/win10.json templates/win11.json templates/win2k16.json templates/win2k19.json \
	templates/win2k22.json templates/win2k8r2.json templates/windows.json
