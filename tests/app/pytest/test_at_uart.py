# SPDX-License-Identifier: Apache-2.0
"""The real firmware (src/main.c, the UART AT host) on QEMU, driven over the emulated UART:
a multi-line AT%CMNG reaches nrf_modem_at_cmd() whole (the fake modem answers with the length
and the number of line feeds it got), an overlong line gives one ERROR, AT answers OK."""
import re


def pem_command() -> bytes:
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    lines = ["-----BEGIN CERTIFICATE-----"]
    lines += ["".join(b64[(n * 7 + i * 13) % 64] for i in range(64)) for n in range(24)]
    lines += ["-----END CERTIFICATE-----", ""]
    return ('AT%CMNG=0,16842753,0,"' + "\n".join(lines) + '"').encode()


def test_multiline_cmng_forwarded_whole(dut):
    dut.readlines_until(regex=r"^\x00?Ready", timeout=20)
    cmd = pem_command()
    lfs = cmd.count(b"\n")
    assert len(cmd) >= 1300 and lfs >= 20
    # In pieces, as a terminal program sends it.
    for i in range(0, len(cmd), 100):
        dut.write(cmd[i:i + 100])
    dut.write(b"\r\n")
    lines = dut.readlines_until(regex=r"%XFAKE:", timeout=20)
    got = [l for l in lines if "%XFAKE:" in l][0]
    assert re.search(rf"%XFAKE: {len(cmd)},{lfs}\b", got), got
    dut.readlines_until(regex="^OK", timeout=10)

    dut.write(b"AT+" + b"A" * 4094 + b"\r\n")
    lines = dut.readlines_until(regex="^(OK|ERROR)", timeout=20)
    assert lines[-1].strip() == "ERROR", lines
    dut.write(b"AT\r\n")
    lines = dut.readlines_until(regex="^(OK|ERROR)", timeout=10)
    assert lines[-1].strip() == "OK", lines
