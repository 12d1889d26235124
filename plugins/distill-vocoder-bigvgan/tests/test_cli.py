"""`distill generate` and `distill vocode` through BigVGAN with a hand-placed checkpoint."""

from __future__ import annotations

import json

import soundfile as sf

from distill.cli.main import main
from distill.data.synthetic import write_demo_collection
from distill_vocoder_bigvgan.download import weights_dir


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_generate_and_vocode_with_bigvgan(tmp_path, checkpoint_dir, capsys):
    for name in ("config.json", "bigvgan_generator.pt"):
        (weights_dir() / name).write_bytes((checkpoint_dir / name).read_bytes())
    sounds = tmp_path / "sounds"
    write_demo_collection(sounds, count=5)
    code, _, err = _run(capsys, "train", str(sounds), "--model-name", "kit", "--preset", "demo", "--epochs", "1")
    assert code == 0, err

    code, out, err = _run(
        capsys, "generate", "kit", "-d", "1.25", "--seed", "3", "--output-dir", str(tmp_path), "--json"
    )
    assert code == 0, err
    record = json.loads(out)["files"][0]
    assert record["vocoder"] == "bigvgan"  # auto: ranks above Griffin-Lim once the weights are here
    info = sf.info(record["path"])
    assert (info.samplerate, info.frames) == (48000, 60000)

    source = sorted(sounds.glob("*.wav"))[0]
    code, out, err = _run(
        capsys, "vocode", str(source), "--vocoder", "bigvgan", "-o", str(tmp_path / "v.wav"), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["files"][0]["vocoder"] == "bigvgan"
    assert sf.info(tmp_path / "v.wav").frames == sf.info(source).frames
