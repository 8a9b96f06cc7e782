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

__getattr__, __dir__ = lazy_exports(__name__, {
    ".data.sources": "load_dataset list_sources Dataset",
    ".models.variants": "make_configs VARIANTS",
    ".models.config": "ModelConfig TrainConfig",
    ".models.autoencoder": "build_model create_model",
    ".train.loop": "train",
    ".train.trainer": "Trainer fit",
    ".train.evaluation": "evaluate",
    ".library.store": "save_model load_model list_models",
    ".analysis.latent": "encode_dataset decode reconstruct",
    ".analysis.metrics": "mse psnr ssim",
    ".errors": "AelabError",
})
__all__ = __dir__()
