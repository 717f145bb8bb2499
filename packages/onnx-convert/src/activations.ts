import { UsageError } from '@plantid/core';
import type { ConvertContext, Value } from './context.js';

/** ONNX for a tfjs activation identifier (`getClassName()` of tfjs activations, e.g. 'relu6'). */
export function emitActivation(
  ctx: ConvertContext,
  activation: string | null | undefined,
  x: Value,
  hint: string,
): Value {
  const g = ctx.graph;
  const id = activation ?? 'linear';
  ctx.notePreActivation(hint, x);
  const same = (name: string): Value => ({ ...x, name });
  const axis = ctx.axis(x, -1);
  switch (id) {
    case 'linear':
      return x;
    case 'relu':
      return same(g.op('Relu', [x.name], `${hint}_relu`));
    case 'relu6':
      return same(
        g.op(
          'Clip',
          [x.name, g.floatScalar(`${hint}_min`, 0), g.floatScalar(`${hint}_max`, 6)],
          `${hint}_relu6`,
        ),
      );
    case 'sigmoid':
      return same(g.op('Sigmoid', [x.name], `${hint}_sigmoid`));
    case 'tanh':
      return same(g.op('Tanh', [x.name], `${hint}_tanh`));
    case 'softplus':
      return same(g.op('Softplus', [x.name], `${hint}_softplus`));
    case 'softsign':
      return same(g.op('Softsign', [x.name], `${hint}_softsign`));
    case 'elu':
      return same(g.op('Elu', [x.name], `${hint}_elu`, { alpha: { float: 1 } }));
    case 'selu':
      return same(g.op('Selu', [x.name], `${hint}_selu`));
    case 'hardSigmoid':
      return same(
        g.op('HardSigmoid', [x.name], `${hint}_hard_sigmoid`, {
          alpha: { float: 0.2 },
          beta: { float: 0.5 },
        }),
      );
    case 'softmax':
      return same(g.op('Softmax', [x.name], `${hint}_softmax`, { axis }));
    case 'logSoftmax':
      return same(g.op('LogSoftmax', [x.name], `${hint}_log_softmax`, { axis }));
    case 'swish':
      return same(g.op('Mul', [x.name, g.op('Sigmoid', [x.name], `${hint}_swish_sigmoid`)], `${hint}_swish`));
    case 'mish': {
      const softplus = g.op('Softplus', [x.name], `${hint}_mish_softplus`);
      return same(g.op('Mul', [x.name, g.op('Tanh', [softplus], `${hint}_mish_tanh`)], `${hint}_mish`));
    }
    case 'gelu': {
      // 0.5 * x * (1 + erf(x / sqrt(2))), as tfjs computes it.
      const erf = g.op(
        'Erf',
        [g.op('Div', [x.name, g.floatScalar(`${hint}_sqrt2`, Math.SQRT2)], `${hint}_gelu_div`)],
        `${hint}_gelu_erf`,
      );
      const cdf = g.op(
        'Mul',
        [
          g.op('Add', [erf, g.floatScalar(`${hint}_one`, 1)], `${hint}_gelu_add`),
          g.floatScalar(`${hint}_half`, 0.5),
        ],
        `${hint}_gelu_cdf`,
      );
      return same(g.op('Mul', [x.name, cdf], `${hint}_gelu`));
    }
    case 'gelu_new': {
      // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
      const cube = g.op('Pow', [x.name, g.floatScalar(`${hint}_three`, 3)], `${hint}_gelu_cube`);
      const inner = g.op(
        'Add',
        [x.name, g.op('Mul', [cube, g.floatScalar(`${hint}_c`, 0.044715)], `${hint}_gelu_mul`)],
        `${hint}_gelu_inner`,
      );
      const t = g.op(
        'Tanh',
        [g.op('Mul', [inner, g.floatScalar(`${hint}_k`, Math.sqrt(2 / Math.PI))], `${hint}_gelu_scaled`)],
        `${hint}_gelu_tanh`,
      );
      const half = g.op(
        'Mul',
        [
          g.op('Add', [t, g.floatScalar(`${hint}_one`, 1)], `${hint}_gelu_add`),
          g.floatScalar(`${hint}_half`, 0.5),
        ],
        `${hint}_gelu_half`,
      );
      return same(g.op('Mul', [x.name, half], `${hint}_gelu_new`));
    }
    default:
      throw new UsageError(`activation '${id}' of layer '${hint}' has no ONNX conversion`, {
        hint: 'use relu, relu6, sigmoid, tanh, softmax, elu, selu, swish, gelu, mish, softplus, softsign, hardSigmoid or linear',
      });
  }
}
