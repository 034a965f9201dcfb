"""dancegen: music + one reference photo -> dance video.

Implements "Dance Video Generation using Music-to-Pose Encoder Trained on Synthetic Dataset
Generation Pipeline leveraging Latent Diffusion Framework" (Park, SK Telecom). One module per
paper section:

- ``dancegen.audio``   music loading, validation, EDGE/Jukebox features, procedural music (§3.1, §3.2)
- ``dancegen.body``    SMPL body files, motion sources (AIST++, choreographer) (§3.1.1)
- ``dancegen.render``  guidance maps: depth, normal, semantic, skeleton, heatmaps, avatar frame (§3.1.2)
- ``dancegen.sdgpip``  the Synthetic Dataset Generation Pipeline and its shard format (§3.1)
- ``dancegen.models``  guidance encoder, M2PEnc, video U-Net, reference branch (§3.2, §3.3)
- ``dancegen.train``   the staged DeepSpeed trainer (§3.4, §4.1)
- ``dancegen.infer``   sampling and long-video stitching (§3.4)
- ``dancegen.metrics`` FVD, SSIM, PSNR, LPIPS, BeatAlign, AV-Align (§4.2)
"""

__version__ = "0.1.0"
