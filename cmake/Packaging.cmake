# Debian package (issue 6): `cpack -G DEB` in a build directory after building `sentinel`.
# Installs the binary, the systemd unit, the udev rules, the example configuration and the docs;
# check the result with `dpkg-deb -c sentinel_*.deb`. docs/install.md describes a full install.
include(GNUInstallDirs)

set(SENTINEL_PKG_DOCDIR share/doc/sentinel)

install(FILES ${PROJECT_SOURCE_DIR}/assets/systemd/sentinel.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/assets/udev/70-sentinel.rules DESTINATION lib/udev/rules.d)
# Voice prompts made by espeak-ng at build time (firmware/ui): /usr/share/sentinel/prompts/LANG/*.wav.
install(DIRECTORY ${SENTINEL_PROMPTS_DIR}/ DESTINATION share/sentinel/prompts FILES_MATCHING PATTERN "*.wav")
# The example configuration: as the live file (a dpkg conffile: local edits survive upgrades) and
# as a pristine example beside the docs.
install(FILES ${PROJECT_SOURCE_DIR}/assets/config/sentinel.toml DESTINATION /etc/sentinel)
install(FILES ${PROJECT_SOURCE_DIR}/assets/config/sentinel.toml DESTINATION ${SENTINEL_PKG_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/assets/config/replay-bench.toml ${PROJECT_SOURCE_DIR}/assets/prometheus/sentinel-rules.yml
              ${PROJECT_SOURCE_DIR}/assets/prometheus/sentinel-rules.test.yml DESTINATION ${SENTINEL_PKG_DOCDIR}/examples)
foreach(doc install.md diagnostics.md troubleshooting.md configuration.md)
    if(EXISTS ${PROJECT_SOURCE_DIR}/docs/${doc})
        install(FILES ${PROJECT_SOURCE_DIR}/docs/${doc} DESTINATION ${SENTINEL_PKG_DOCDIR})
    endif()
endforeach()

# Maintainer scripts, generated here so they live next to the packaging rules.
set(SENTINEL_DEB_DIR ${PROJECT_BINARY_DIR}/debian)
file(WRITE ${SENTINEL_DEB_DIR}/conffiles "/etc/sentinel/sentinel.toml\n")
file(WRITE ${SENTINEL_DEB_DIR}/postinst [=[#!/bin/sh
# Dedicated service user, state folder, udev rules and unit picked up. The service is not enabled
# here: the technician enables it after installing the trust list and configuration (install.md).
set -e
if [ "$1" = "configure" ]; then
    if ! getent group sentinel >/dev/null; then addgroup --system sentinel >/dev/null; fi
    if ! getent passwd sentinel >/dev/null; then
        adduser --system --ingroup sentinel --home /var/lib/sentinel --no-create-home \
                --gecos "Sentinel kiosk" sentinel >/dev/null
    fi
    adduser sentinel video >/dev/null 2>&1 || true
    adduser sentinel audio >/dev/null 2>&1 || true
    adduser sentinel render >/dev/null 2>&1 || true
    install -d -o sentinel -g sentinel -m 0700 /var/lib/sentinel
    install -d -m 0755 /etc/sentinel/trust
    if command -v udevadm >/dev/null 2>&1; then
        udevadm control --reload >/dev/null 2>&1 || true
        udevadm trigger --subsystem-match=video4linux --subsystem-match=gpio --subsystem-match=drm --subsystem-match=sound >/dev/null 2>&1 || true
    fi
    if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
fi
exit 0
]=])
file(WRITE ${SENTINEL_DEB_DIR}/prerm [=[#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = "remove" ]; then
    systemctl stop sentinel.service >/dev/null 2>&1 || true
fi
exit 0
]=])
file(WRITE ${SENTINEL_DEB_DIR}/postrm [=[#!/bin/sh
# The journal, device secret and synced trust in /var/lib/sentinel are kept unless purged.
set -e
if [ "$1" = "purge" ]; then rm -rf /var/lib/sentinel; fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
]=])
file(CHMOD ${SENTINEL_DEB_DIR}/postinst ${SENTINEL_DEB_DIR}/prerm ${SENTINEL_DEB_DIR}/postrm
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sentinel)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Sentinel kiosk firmware")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "Sentinel maintainers <sentinel@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binary itself (dpkg-shlibdeps), plus what the scripts call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, systemd, udev, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SENTINEL_DEB_DIR}/conffiles ${SENTINEL_DEB_DIR}/postinst ${SENTINEL_DEB_DIR}/prerm ${SENTINEL_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
