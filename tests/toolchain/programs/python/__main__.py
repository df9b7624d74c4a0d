import importlib.metadata
import sys

import pulumi

config = pulumi.Config()
pulumi.export("greeting", f"hello {config.get('who') or 'world'}")
pulumi.export("python", sys.executable)
pulumi.export("sdk", importlib.metadata.version("pulumi"))
pulumi.export("token", config.require_secret("token"))
