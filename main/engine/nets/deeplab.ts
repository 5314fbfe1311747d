// Network builders: DeepLabv2 ResNet backbones (Caffe-style, output stride 8) with ProDA's
// Classifier_Module2 head, and the warm-up FCDiscriminator. Parameter names are the state-dict keys
// of the official code (models/deeplabv2.py, models/discriminator.py); init follows its constructors.
import { GraphBuilder } from './builder';
import type { InitSpec, NetGraph } from './graph';

export type BackboneName = 'resnet101' | 'resnet50' | 'resnet34' | 'resnet18' | 'resnet-narrow';

export interface BackboneSpec {
  /** 'bottleneck' (expansion 4, stride on the first 1×1 as in Caffe) or 'basic' (two 3×3, expansion 1). */
  block: 'bottleneck' | 'basic';
  layers: [number, number, number, number];
  /** `planes` of layer1..4 (output channels are planes × expansion). */
  widths: [number, number, number, number];
  stem: number;
}

export const backbones: Record<BackboneName, BackboneSpec> = {
  resnet101: { block: 'bottleneck', layers: [3, 4, 23, 3], widths: [64, 128, 256, 512], stem: 64 },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3], widths: [64, 128, 256, 512], stem: 64 },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3], widths: [64, 128, 256, 512], stem: 64 },
  resnet18: { block: 'basic', layers: [2, 2, 2, 2], widths: [64, 128, 256, 512], stem: 64 },
  // The demo network: one basic block per stage, narrow, so it trains on 2 CPU cores.
  'resnet-narrow': { block: 'basic', layers: [1, 1, 1, 1], widths: [16, 32, 64, 128], stem: 16 },
};

export interface HeadSpec {
  /** Width of every ASPP branch and of `feat` (official: 256). */
  width: number;
  /** GroupNorm groups (official: 32). */
  gnGroups: number;
  /** Dilation = padding of the four 3×3 branches (official: 6, 12, 18, 24). */
  dilations: number[];
  /** SE reduction (official: 16). */
  seReduction: number;
  /** Dropout2d before the classifier (official: 0.1). */
  dropout: number;
}

export const officialHead: HeadSpec = { width: 256, gnGroups: 32, dilations: [6, 12, 18, 24], seReduction: 16, dropout: 0.1 };

export interface SegNetConfig {
  backbone: BackboneName;
  /** Overrides the preset's blocks/widths (tests, custom small nets); `backbone` still names it. */
  backboneSpec?: BackboneSpec;
  numClasses: number;
  /** BN(C) after layer4 for SimCLR students (`--bn_clr`), in the 10× group. */
  bnPretrain?: boolean;
  head?: Partial<HeadSpec>;
}

/** The demo preset: narrow ResNet, 64-d feat, 8 GN groups, dilations scaled to 128×256 inputs. */
export function demoConfig(numClasses: number): SegNetConfig {
  return { backbone: 'resnet-narrow', numClasses, head: { width: 64, gnGroups: 8, dilations: [3, 6, 9, 12] } };
}

// The ResNet constructor re-initialises every Conv2d (head included) to N(0, 0.01).
const convInit: InitSpec = { kind: 'normal', std: 0.01 };

export function resolveHead(config: SegNetConfig): HeadSpec {
  const h = { ...officialHead, ...config.head };
  if (h.width % h.gnGroups !== 0) throw new Error(`head width ${h.width} is not divisible by ${h.gnGroups} GroupNorm groups`);
  return h;
}

export function backboneChannels(spec: BackboneSpec): number {
  return spec.widths[3] * (spec.block === 'bottleneck' ? 4 : 1);
}

function buildBackbone(b: GraphBuilder, spec: BackboneSpec, input: string): string {
  const expansion = spec.block === 'bottleneck' ? 4 : 1;
  let x = b.conv('conv1', input, { inChannels: 3, outChannels: spec.stem, kernel: 7, stride: 2, pad: 3, weightInit: convInit });
  x = b.batchNorm('bn1', x, spec.stem);
  x = b.relu('relu', x);
  x = b.maxPool('maxpool', x, 3, 2, 1, true);
  let inplanes = spec.stem;
  const strides = [1, 2, 1, 1];
  const dilations = [1, 1, 2, 4];
  for (let li = 0; li < 4; li++) {
    const planes = spec.widths[li];
    const stride = strides[li];
    const dilation = dilations[li];
    for (let bi = 0; bi < spec.layers[li]; bi++) {
      const p = `layer${li + 1}.${bi}`;
      const s = bi === 0 ? stride : 1;
      // As in _make_layer: the first block gets a projection when stride, width or dilation change.
      const project = bi === 0 && (stride !== 1 || inplanes !== planes * expansion || dilation === 2 || dilation === 4);
      const residual = project
        ? b.batchNorm(
            `${p}.downsample.1`,
            b.conv(`${p}.downsample.0`, x, { inChannels: inplanes, outChannels: planes * expansion, kernel: 1, stride: s, weightInit: convInit }),
            planes * expansion,
          )
        : x;
      let y: string;
      if (spec.block === 'bottleneck') {
        y = b.conv(`${p}.conv1`, x, { inChannels: inplanes, outChannels: planes, kernel: 1, stride: s, weightInit: convInit });
        y = b.relu(`${p}.relu1`, b.batchNorm(`${p}.bn1`, y, planes));
        y = b.conv(`${p}.conv2`, y, { inChannels: planes, outChannels: planes, kernel: 3, pad: dilation, dilation, weightInit: convInit });
        y = b.relu(`${p}.relu2`, b.batchNorm(`${p}.bn2`, y, planes));
        y = b.conv(`${p}.conv3`, y, { inChannels: planes, outChannels: planes * 4, kernel: 1, weightInit: convInit });
        y = b.batchNorm(`${p}.bn3`, y, planes * 4);
      } else {
        // The official BasicBlock has no dilation; ours dilates like the bottleneck to keep output stride 8.
        y = b.conv(`${p}.conv1`, x, { inChannels: inplanes, outChannels: planes, kernel: 3, stride: s, pad: dilation, dilation, weightInit: convInit });
        y = b.relu(`${p}.relu1`, b.batchNorm(`${p}.bn1`, y, planes));
        y = b.conv(`${p}.conv2`, y, { inChannels: planes, outChannels: planes, kernel: 3, pad: dilation, dilation, weightInit: convInit });
        y = b.batchNorm(`${p}.bn2`, y, planes);
      }
      x = b.relu(`${p}.relu`, b.addNode(`${p}.add`, y, residual));
      inplanes = planes * expansion;
    }
  }
  return x;
}

/** Classifier_Module2: GN + SE ASPP, `feat` after Dropout2d, bias-free 1×1 classifier. */
function buildHead(b: GraphBuilder, x: string, inChannels: number, h: HeadSpec, numClasses: number): { feat: string; logits: string } {
  const branches: string[] = [];
  const kernels = [1, ...h.dilations.map(() => 3)];
  const dil = [1, ...h.dilations];
  kernels.forEach((k, i) => {
    const p = `layer5.conv2d_list.${i}`;
    // The official init loop over conv2d_list sees Sequentials, not Conv2d, so biases keep PyTorch's default.
    const c = b.conv(`${p}.0`, x, { inChannels, outChannels: h.width, kernel: k, pad: k === 1 ? 0 : dil[i], dilation: dil[i], bias: true, weightInit: convInit });
    branches.push(b.relu(`${p}.2`, b.groupNorm(`${p}.1`, c, h.width, h.gnGroups)));
  });
  const cat = b.concat('layer5.cat', branches);
  const catWidth = h.width * branches.length;
  // SEBlock: its Linears keep PyTorch's default init (the head's init loop never reaches inside SEBlock).
  const pooled = b.globalAvgPool('layer5.bottleneck.0.global_pool', cat);
  let s = b.linear('layer5.bottleneck.0.se.0', pooled, catWidth, Math.floor(catWidth / h.seReduction));
  s = b.relu('layer5.bottleneck.0.se.1', s);
  s = b.linear('layer5.bottleneck.0.se.2', s, Math.floor(catWidth / h.seReduction), catWidth);
  s = b.sigmoid('layer5.bottleneck.0.se.3', s);
  const scaled = b.mul('layer5.bottleneck.0', cat, s);
  const fused = b.conv('layer5.bottleneck.1', scaled, {
    inChannels: catWidth,
    outChannels: h.width,
    kernel: 3,
    pad: 1,
    bias: true,
    weightInit: convInit,
    biasInit: { kind: 'constant', value: 0 },
  });
  const normed = b.groupNorm('layer5.bottleneck.2', fused, h.width, h.gnGroups);
  const feat = b.dropout2d('layer5.head.0', normed, h.dropout);
  const logits = b.conv('layer5.head.1', feat, { inChannels: h.width, outChannels: numClasses, kernel: 1, weightInit: convInit });
  return { feat, logits };
}

/** DeepLabv2 with ProDA's head; outputs { feat, logits } at 1/8 resolution. */
export function buildSegNetGraph(config: SegNetConfig): NetGraph {
  const spec = config.backboneSpec ?? backbones[config.backbone];
  if (!spec) throw new Error(`unknown backbone '${config.backbone}' (known: ${Object.keys(backbones).join(', ')})`);
  if (!(config.numClasses >= 1)) throw new Error(`numClasses must be ≥ 1, got ${config.numClasses}`);
  const h = resolveHead(config);
  const b = new GraphBuilder(`deeplabv2-${config.backbone}`, 'image', 3);
  let x = buildBackbone(b, spec, 'image');
  b.group = 'head';
  if (config.bnPretrain) x = b.batchNorm('bn_pretrain', x, backboneChannels(spec));
  const out = buildHead(b, x, backboneChannels(spec), h, config.numClasses);
  return b.build(out);
}

/** The warm-up's output-space FCDiscriminator (LS-GAN): four 3×3/s2 convs, 1×1 to one channel. */
export function buildDiscriminatorGraph(inChannels: number, planes = 64): NetGraph {
  const b = new GraphBuilder('fc-discriminator', 'probs', inChannels);
  b.group = 'head';
  // nn.Conv2d defaults: kaiming_uniform(a=√5) gives uniform(±1/sqrt(fan_in)) for weights and biases.
  const conv = (name: string, input: string, cin: number, cout: number, k: number, stride: number, pad: number) =>
    b.conv(name, input, { inChannels: cin, outChannels: cout, kernel: k, stride, pad, bias: true, weightInit: { kind: 'uniform', bound: 1 / Math.sqrt(cin * k * k) } });
  let x = b.relu('relu1', conv('conv1', 'probs', inChannels, planes, 3, 2, 1));
  x = b.relu('relu2', conv('conv2', x, planes, planes * 2, 3, 2, 1));
  x = b.relu('relu3', conv('conv3', x, planes * 2, planes * 4, 3, 2, 1));
  x = b.leakyRelu('leaky_relu', conv('conv4', x, planes * 4, planes * 8, 3, 2, 1), 0.2);
  const out = conv('classifier', x, planes * 8, 1, 1, 1, 0);
  return b.build({ out });
}
