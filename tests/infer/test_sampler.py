"""The unrolled DDIM loop: noise conditioning on the previous segment and reference guidance."""

import pytest
import torch

from dancegen.infer.sampler import ReferenceConditioning, ddim_scheduler, denoise_segment


@pytest.fixture(scope="module")
def parts(tiny_model):
    tiny_model.unet.eval()
    tiny_model.reference_unet.eval()
    gen = torch.Generator().manual_seed(3)
    frames = 6
    return {
        "denoiser": tiny_model.denoiser(),
        "config": tiny_model.scheduler.config,
        "noise": torch.randn(1, 4, frames, 8, 8, generator=gen),
        "guidance": torch.randn(frames, 16, 8, 8, generator=gen) * 0.1,
        "reference": ReferenceConditioning(
            torch.randn(1, 1, 32, generator=gen), torch.randn(1, 4, 8, 8, generator=gen)
        ),
        "known_a": torch.randn(1, 4, 2, 8, 8, generator=gen),
        "known_b": torch.randn(1, 4, 2, 8, 8, generator=gen),
    }


def run(parts, steps=2, scale=1.0, known=None):
    scheduler = ddim_scheduler(parts["config"], steps)
    return denoise_segment(
        parts["denoiser"], scheduler, parts["noise"], parts["guidance"], parts["reference"], scale, known=known
    )


def test_conditioning_frames_come_back_exactly(parts):
    out = run(parts, known=parts["known_a"])
    assert out.shape == parts["noise"].shape
    assert torch.equal(out[:, :, :2], parts["known_a"])


def test_new_frames_continue_the_previous_segment(parts):
    # With a zero-terminal-SNR schedule the first step (t = 999) sees the known frames as pure noise, so they
    # can only shape the new frames if they are re-noised and substituted again at the later steps.
    a = run(parts, known=parts["known_a"])
    b = run(parts, known=parts["known_b"])
    free = run(parts)
    assert not torch.allclose(a[:, :, 2:], b[:, :, 2:], atol=1e-4)
    assert not torch.allclose(a[:, :, 2:], free[:, :, 2:], atol=1e-4)


def test_first_step_alone_cannot_see_the_known_frames(parts):
    scheduler = ddim_scheduler(parts["config"], 1)
    assert scheduler.alphas_cumprod[scheduler.timesteps[0]] == 0  # zero terminal SNR (CHAMP's schedule)
    a = run(parts, steps=1, known=parts["known_a"])
    b = run(parts, steps=1, known=parts["known_b"])
    assert torch.equal(a[:, :, 2:], b[:, :, 2:])


def test_reference_guidance_scale_changes_the_result_and_one_turns_it_off(parts):
    plain = run(parts, scale=1.0)
    guided = run(parts, scale=3.5)
    assert not torch.allclose(plain, guided, atol=1e-4)
    assert torch.equal(plain, run(parts, scale=1.0))


def test_scheduler_is_ddim_with_the_requested_steps(parts):
    scheduler = ddim_scheduler(parts["config"], 3)
    assert type(scheduler).__name__ == "DDIMScheduler"
    assert scheduler.timesteps.tolist() == [999, 666, 332]  # trailing spacing
    assert scheduler.config.prediction_type == "v_prediction"
