"""aelab: train autoencoders on MNIST-style images and see what they learn.

The public API, imported on first use (``import aelab`` alone stays fast)::

    import aelab
    data = aelab.load_dataset("mnist-5k")
    model_config, train_config = aelab.make_configs("vae", model={"latent_dim": 8}, train={"epochs": 5})
    model = aelab.create_model(model_config, seed=0)
    aelab.fit(model, data.x_train, train_config)
    print(aelab.evaluate(model, data.x_test))
    aelab.save_model(model, "my-vae", variant="vae", train_config=train_config, dataset=data.name)

Subpackages, one job each: data, models, train, library, analysis, lessons, runtime, cli.
"""
from aelab._lazy import lazy_exports

__version__ = "0.2.0"

_EXPORTS = {
    "load_dataset": ".data.sources", "list_sources": ".data.sources", "Dataset": ".data.sources",
    "make_configs": ".models.variants", "VARIANTS": ".models.variants",
    "ModelConfig": ".models.config", "TrainConfig": ".models.config",
    "build_model": ".models.autoencoder", "create_model": ".models.autoencoder",
    "fit": ".train.loop", "train": ".train.loop", "evaluate": ".train.loop", "Trainer": ".train.trainer",
    "save_model": ".library.store", "load_model": ".library.store", "list_models": ".library.store",
    "encode_dataset": ".analysis.latent", "decode": ".analysis.latent", "reconstruct": ".analysis.latent",
    "mse": ".analysis.metrics", "psnr": ".analysis.metrics", "ssim": ".analysis.metrics",
    "AelabError": ".errors",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
