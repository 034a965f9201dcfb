"""The denoising 3-D U-Net (paper §3.3): an SD-1.5-style 2-D U-Net inflated with AnimateDiff motion modules,
with pose guidance summed onto the ``conv_in`` output.

The network is diffusers' ``UNetMotionModel`` (2-D ResNet + spatial/cross-attention blocks applied per
frame, with temporal motion modules after each of them): build it with the inherited
``VideoUNet.from_unet2d(unet2d, motion_adapter)``. :class:`VideoUNet` changes one thing, the forward
pass, which calls the same sub-modules in the same order and adds the guidance features (from the
guidance encoder, M2PEnc or the simple audio encoder) to the ``conv_in`` output, as CHAMP does.

Training stages use the inherited AnimateDiff helpers: ``freeze_unet2d_params()`` leaves only the motion
modules (temporal layers) trainable (stage 3), and ``save_motion_modules(dir)`` writes them as a
``MotionAdapter`` of their own (``motion_adapter/``); ``load_motion_modules(adapter)`` reads one back.
"""

from __future__ import annotations

import torch
from diffusers.models.unets.unet_motion_model import UNetMotionModel, UNetMotionOutput

from dancegen.models.checks import ModelConfigError, ModelInputError, check_tensor
from dancegen.models.layers import batch_to_frames, frames_to_batch


class VideoUNet(UNetMotionModel):
    """``UNetMotionModel`` whose forward takes pose guidance, added after ``conv_in``.

    Config arguments are exactly ``UNetMotionModel``'s (e.g. ``block_out_channels``, ``layers_per_block``,
    ``cross_attention_dim``, ``motion_num_attention_heads``, ``motion_max_seq_length``,
    ``use_motion_mid_block``); the SDXL/IP-adapter extras (``addition_embed_type``, ``encoder_hid_dim_type``,
    ``time_cond_proj_dim``) are not supported and rejected at the first forward.
    """

    def _check_supported_config(self) -> None:
        for key in ("addition_embed_type", "encoder_hid_dim_type", "time_cond_proj_dim"):
            if self.config.get(key) is not None:
                raise ModelConfigError(
                    f"VideoUNet: config key {key!r} = {self.config[key]!r} is not supported; set it to null"
                )

    def _timesteps(self, timestep: torch.Tensor | float | int, batch: int, device: torch.device) -> torch.Tensor:
        """Scalar or (B,) timestep → (B,) tensor."""
        timesteps = torch.as_tensor(timestep, device=device)
        if timesteps.ndim == 0:
            return timesteps.expand(batch)
        if timesteps.shape != (batch,):
            raise ModelInputError(
                f"VideoUNet: timestep must be a scalar or shape ({batch},), got {tuple(timesteps.shape)}"
            )
        return timesteps

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        guidance: torch.Tensor | None = None,
        return_dict: bool = True,
    ) -> UNetMotionOutput | tuple[torch.Tensor]:
        """Predict the noise (or v) of a clip of latents.

        Args:
            sample: (B, in_channels, F, h, w) noisy latents; F ≤ ``motion_max_seq_length``, h and w divisible
                by 2 ** (number of up-samplers).
            timestep: scalar or (B,) diffusion timesteps.
            encoder_hidden_states: (B, L, cross_attention_dim) context (the CLIP image embedding of the
                reference, L = 1); repeated for every frame inside.
            guidance: (B·F, block_out_channels[0], h, w) pose guidance added to the ``conv_in`` output, frames
                of a clip consecutive; ``None`` for none.

        Returns:
            ``UNetMotionOutput(sample=(B, out_channels, F, h, w))``.
        """
        self._check_supported_config()
        cfg = self.config
        check_tensor("VideoUNet", "sample", sample, ("B", cfg.in_channels, "F", "h", "w"))
        batch, _, num_frames, height, width = sample.shape
        if num_frames > cfg.motion_max_seq_length:
            raise ModelInputError(
                f"VideoUNet: clip has {num_frames} frames but config 'motion_max_seq_length' is "
                f"{cfg.motion_max_seq_length}; feed shorter clips"
            )
        factor = 2**self.num_upsamplers
        if height % factor or width % factor:
            raise ModelInputError(f"VideoUNet: latent size {height}×{width} must be divisible by {factor}")
        cross_dim = cfg.cross_attention_dim
        check_tensor("VideoUNet", "encoder_hidden_states", encoder_hidden_states, (batch, "L", cross_dim))
        num_frames_total = batch * num_frames

        # 1. time embedding, one per frame: (B·F, time_embed_dim)
        t_emb = self.time_proj(self._timesteps(timestep, batch, sample.device)).to(dtype=self.dtype)
        emb = self.time_embedding(t_emb).repeat_interleave(num_frames, dim=0)
        context = encoder_hidden_states.repeat_interleave(num_frames, dim=0)  # (B·F, L, D)

        # 2. conv_in + pose guidance: (B·F, C0, h, w)
        hidden = self.conv_in(frames_to_batch(sample))
        if guidance is not None:
            check_tensor("VideoUNet", "guidance", guidance, (num_frames_total, hidden.shape[1], height, width))
            hidden = hidden + guidance.to(hidden.dtype)

        # 3. down path, keeping the skip connections
        skips: tuple[torch.Tensor, ...] = (hidden,)
        for block in self.down_blocks:
            if getattr(block, "has_cross_attention", False):
                hidden, res = block(
                    hidden_states=hidden, temb=emb, encoder_hidden_states=context, num_frames=num_frames
                )
            else:
                hidden, res = block(hidden_states=hidden, temb=emb, num_frames=num_frames)
            skips += res

        # 4. middle (with its motion module when the adapter has one)
        if hasattr(self.mid_block, "motion_modules"):
            hidden = self.mid_block(hidden, emb, encoder_hidden_states=context, num_frames=num_frames)
        else:
            hidden = self.mid_block(hidden, emb, encoder_hidden_states=context)

        # 5. up path, consuming the skips
        for block in self.up_blocks:
            res, skips = skips[-len(block.resnets) :], skips[: -len(block.resnets)]
            if getattr(block, "has_cross_attention", False):
                hidden = block(
                    hidden_states=hidden,
                    temb=emb,
                    res_hidden_states_tuple=res,
                    encoder_hidden_states=context,
                    num_frames=num_frames,
                )
            else:
                hidden = block(hidden_states=hidden, temb=emb, res_hidden_states_tuple=res, num_frames=num_frames)

        # 6. output: (B·F, out, h, w) → (B, out, F, h, w)
        if self.conv_norm_out is not None:
            hidden = self.conv_act(self.conv_norm_out(hidden))
        out = batch_to_frames(self.conv_out(hidden), num_frames)
        if not return_dict:
            return (out,)
        return UNetMotionOutput(sample=out)

    def temporal_parameter_names(self) -> list[str]:
        """Names of the motion-module (temporal layer) parameters, the ones stage 3 trains."""
        return [name for name, _ in self.named_parameters() if ".motion_modules." in name]
