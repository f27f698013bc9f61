import { finding, type AdviceInput, type AdviceRule, type Finding } from '../types.js';

/** Docker's overlay2 limit on layers (max depth) is 125; we warn from this many on. */
export const LAYER_WARNING = 100;
export const LAYER_LIMIT = 125;

/** DF5009: the image has more than 100 layers; Docker refuses images over 125. */
export const layerCount: AdviceRule = {
  code: 'DF5009',
  name: 'layer-count',
  severity: 'warning',
  summary: 'The image has more than 100 layers; Docker refuses more than 125.',
  check(input: AdviceInput): Finding[] {
    const layers = input.sim.result.image?.layers;
    if (layers === undefined || layers <= LAYER_WARNING) return [];
    const target = input.sim.plan.target;
    return [
      finding(
        this,
        input,
        target.from,
        `The image would have ${layers} layers (base image included); Docker's limit is ${LAYER_LIMIT}${layers > LAYER_LIMIT ? ', so the build or a later run fails' : ''}.`,
        'Merge consecutive RUN steps with && , copy several sources in one COPY, or build in a stage and COPY --from the result into a fresh one.',
      ),
    ];
  },
};
