"""MultiWorkerMirroredStrategy: two local worker processes match one device."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np, tensorflow as tf, keras
    keras.config.disable_traceback_filtering()
    from rocket_keras.zoo import rocket_resnet

    multi_worker = "TF_CONFIG" in os.environ
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if multi_worker else tf.distribute.get_strategy()
    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)  # global batch 8
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = dataset.with_options(options)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = rocket_resnet(input_shape=(8, 8, 1), booster_depth=8, light_depth=8, synchronized_bn=True)
        model.compile(optimizer=keras.optimizers.SGD(0.1), metrics=["accuracy"], hint_weight=1.0)
    history = model.fit(dataset, epochs=2, verbose=0).history
    print("RESULT " + json.dumps({"replicas": strategy.num_replicas_in_sync, "history": history}))
    """
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(stdout):
    line = next(l for l in stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def test_two_workers_match_one_device():
    base_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            env=dict(base_env, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    single = subprocess.run([sys.executable, "-c", SCRIPT], env=base_env, capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]
    outputs = [w.communicate(timeout=600) for w in workers]
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    reference = parse(single.stdout)
    assert reference["replicas"] == 1
    for stdout, _ in outputs:
        result = parse(stdout)
        assert result["replicas"] == 2
        assert set(result["history"]) == set(reference["history"])
        for key, values in reference["history"].items():
            np.testing.assert_allclose(result["history"][key], values, rtol=2e-4, atol=1e-5, err_msg=key)
